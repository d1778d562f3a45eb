using System.Net;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.FrontDoor;

/// <summary>The built service started the way an operator starts it: from another directory, with no content root given.</summary>
[Trait("Tier", "Process")]
public sealed class StartedElsewhereTests
{
    [Fact]
    public async Task Pages_front_page_and_favicon_are_served_when_the_service_is_started_from_another_directory()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), "winloss-elsewhere", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(elsewhere);
        try
        {
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(ServiceProcess.ApiDll)!, "wwwroot", "app", "report", "index.html")),
                "wwwroot is not in the build output");
            await using var service = await ServiceProcess.StartAsync(Path.Combine(elsewhere, "winloss.db"), workingDirectory: elsewhere);
            using var http = service.Client(key: null);
            foreach (var (path, type) in new[]
            {
                ("/", "text/html"), ("/app/report", "text/html"), ("/app/trends", "text/html"), ("/app/report/sw.js", "text/javascript"),
                ("/app/shared/site.css", "text/css"), ("/favicon.ico", "image/x-icon"), ("/swagger/index.html", "text/html"),
            })
            {
                var response = await http.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
                Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            }
        }
        finally
        {
            try { Directory.Delete(elsewhere, recursive: true); } catch (IOException) { }
        }
    }
}
