using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.FrontDoor;

/// <summary>What a newcomer meets first, in process: the front page, the favicon, and an API document usable from any origin.</summary>
public sealed class FrontDoorTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task The_front_page_links_the_report_form_the_dashboard_and_the_api_docs()
    {
        var response = await app.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/app/report\"", html);
        Assert.Contains("href=\"/app/trends\"", html);
        Assert.Contains("href=\"/swagger\"", html);
        Assert.Contains("rel=\"icon\"", html);
    }

    [Fact]
    public async Task The_favicon_is_an_icon()
    {
        var response = await app.CreateClient().GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/x-icon", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, bytes[..4]); // ICONDIR: reserved 0, type 1 (icon)
    }

    [Fact]
    public async Task The_served_openapi_document_names_no_host_so_try_it_out_calls_the_origin_it_was_read_from()
    {
        var client = app.CreateClient();
        client.BaseAddress = new Uri("http://winloss.internal.example:8443");
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var servers = document["servers"]!.AsArray();
        Assert.All(servers, s => Assert.StartsWith("/", (string)s!["url"]!));
        Assert.DoesNotContain("localhost", document["servers"]!.ToJsonString());

        var ui = await client.GetAsync("/swagger/index.html");
        var csp = ui.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("connect-src 'self'", csp);
    }
}
