using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Hardening;

/// <summary>
/// Issue 17 item 9: errors the web server (Kestrel) answers by itself, before any middleware — 414, 431, 400 for broken
/// framing, 505 — are RFC 9457 problem+json like every other error. Needs the real server: the in-memory test host has no
/// Kestrel, so these talk raw HTTP/1.1 over a socket to the service running as its own process.
/// </summary>
[Trait("Tier", "Process")]
public sealed class ServerErrorTests(ServerErrorTests.Service fixture) : IClassFixture<ServerErrorTests.Service>
{
    /// <summary>One service process for the class: no test changes what another one sees.</summary>
    public sealed class Service : IAsyncLifetime
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "winloss-server-errors", Guid.NewGuid().ToString("N"));
        public ServiceProcess? Process { get; private set; }

        public async ValueTask InitializeAsync()
        {
            Directory.CreateDirectory(_dir);
            Process = await ServiceProcess.StartAsync(Path.Combine(_dir, "winloss.db"));
        }

        public async ValueTask DisposeAsync()
        {
            if (Process is not null) await Process.DisposeAsync();
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }

    private ServiceProcess Server => fixture.Process!;

    private async Task<(int Status, string Head, string Body)> Raw(byte[] request)
    {
        var uri = new Uri(Server.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(request);
        using var buffer = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await stream.CopyToAsync(buffer, cts.Token); }
        catch (Exception ex) when (ex is IOException or OperationCanceledException) { } // the server closes after an error
        var text = Encoding.UTF8.GetString(buffer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "no response head: " + text);
        return (int.Parse(text.AsSpan(9, 3)), text[..split], text[(split + 4)..]);
    }

    public static TheoryData<string, string, int> Requests() => new()
    {
        { "20 KB query string", "GET /api/v1/reports?competitor=" + new string('a', 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414 },
        { "40 KB header", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 40_000) + "\r\n\r\n", 431 },
        { "bad Content-Length", "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400 },
        { "Content-Length and chunked", "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n", 400 },
        { "garbage request line", "BLAH\r\n\r\n", 400 },
        { "no Host header", "GET /health/live HTTP/1.1\r\n\r\n", 400 },
        { "header without colon", "GET /health/live HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n", 400 },
        { "target not starting with /", "GET health/live HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "HTTP/9.9", "GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n", 505 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task An_error_the_server_answers_itself_is_problem_json(string name, string request, int expected)
    {
        var (status, head, body) = await Raw(Encoding.Latin1.GetBytes(request));

        Assert.True(status == expected, $"{name}: {status}\n{head}");
        Assert.Contains("\r\nContent-Type: application/problem+json", head);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(expected, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Broken_chunked_framing_of_a_body_the_api_reads_is_a_400_problem()
    {
        var request = "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestApp.AdminKey +
                      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n";
        var (status, head, body) = await Raw(Encoding.ASCII.GetBytes(request));
        Assert.Equal(400, status);
        Assert.Contains("application/problem+json", head);
        var json = body[body.IndexOf('{')..(body.LastIndexOf('}') + 1)]; // chunked: the app's own response
        Assert.Equal(400, JsonNode.Parse(json)!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ordinary_responses_on_a_kept_alive_connection_pass_through_untouched()
    {
        // Two requests on one connection, the second a 404 problem from the app and the last asking to close.
        var request = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      TestApp.AdminKey + "\r\nConnection: close\r\n\r\n";
        var (status, _, rest) = await Raw(Encoding.ASCII.GetBytes(request));
        Assert.Equal(200, status);
        Assert.Contains("\"live\"", rest);
        Assert.Contains("HTTP/1.1 404 Not Found", rest);

        using var client = Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var created = await client.PostReport(Http.Report("SRV-1"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("SRV-1", (await created.ReadJson())["dealId"]!.GetValue<string>());
    }
}
