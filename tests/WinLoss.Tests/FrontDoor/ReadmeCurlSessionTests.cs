using System.Diagnostics;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.FrontDoor;

/// <summary>The README's curl session, run as written against a started service on another port and database.</summary>
[Trait("Tier", "Process")]
public sealed class ReadmeCurlSessionTests
{
    [Fact]
    public async Task The_readme_curl_session_runs_against_a_service_on_another_port_and_database()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repo.Root, "README.md"));
        var start = readme.IndexOf("<!-- curl-session:start -->", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- curl-session:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md has no curl-session markers");
        var script = string.Join('\n', readme[start..end].Split('\n').Where(l => !l.StartsWith("```", StringComparison.Ordinal) && !l.StartsWith("<!--", StringComparison.Ordinal)));

        var dir = Path.Combine(Path.GetTempPath(), "winloss-readme", Guid.NewGuid().ToString("N"));
        var dbDir = Path.Combine(dir, "elsewhere");
        Directory.CreateDirectory(dbDir);
        try
        {
            // No WINLOSS_ADMIN_KEY: the service writes admin.key beside the database, where the session reads it.
            await using var service = await ServiceProcess.StartAsync(Path.Combine(dbDir, "winloss.db"), adminKey: null);
            Assert.DoesNotContain(":5080", service.BaseUrl);

            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            info.ArgumentList.Add("-euo");
            info.ArgumentList.Add("pipefail");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            info.Environment["WINLOSS_DB"] = Path.Combine(dbDir, "winloss.db");
            info.Environment["WINLOSS_URL"] = service.BaseUrl;
            using var bash = Process.Start(info)!;
            var stdout = bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await bash.WaitForExitAsync(timeout.Token);
            var output = await stdout;
            Assert.True(bash.ExitCode == 0, $"the session failed ({bash.ExitCode}):\n{output}\n{await stderr}");

            Assert.Contains("\"name\":\"Salesforce\"", output);                      // the competitor
            Assert.Contains("\"dealId\":\"OPP-1042\"", output);                        // the filed report
            Assert.Contains("\"name\":\"SFDC\",\"competitorId\":1,\"matched\":true", output); // SFDC resolved through the alias
            Assert.Contains("\"ci95\":[0,0.79", output);                               // the trend: one lost deal, n = 1
            Assert.Contains("id,dealId,outcome,closedOn", output);                     // the CSV header
            Assert.Contains("OPP-1042,lost,2026-11-20", output);                       // and the report's row
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
