using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// The real service as a separate OS process (dotnet WinLoss.Api.dll) on a free loopback port and a
/// given SQLite file. Used where the in-memory test host is not enough: kill -9 durability, browser tests.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    public string BaseUrl { get; }
    public string DbPath { get; }
    public int Id => _process.Id;
    public System.Text.StringBuilder Output { get; } = new();

    private ServiceProcess(Process process, string baseUrl, string dbPath)
    {
        _process = process;
        BaseUrl = baseUrl;
        DbPath = dbPath;
    }

    public static string ApiDll
    {
        get
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            return Path.Combine(Repo.Root, "src", "WinLoss.Api", "bin", configuration, "net10.0", "WinLoss.Api.dll");
        }
    }

    /// <param name="adminKey">null: no WINLOSS_ADMIN_KEY (the service generates one and writes admin.key beside the database).</param>
    /// <param name="workingDirectory">null: src/WinLoss.Api with it as the content root; else started there with no content root given.</param>
    public static async Task<ServiceProcess> StartAsync(string dbPath, string? adminKey = TestApp.AdminKey, IDictionary<string, string>? env = null,
        string? workingDirectory = null)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.Combine(Repo.Root, "src", "WinLoss.Api"),
        };
        info.ArgumentList.Add(ApiDll);
        if (workingDirectory is null)
        {
            info.ArgumentList.Add("--contentRoot");
            info.ArgumentList.Add(Path.Combine(Repo.Root, "src", "WinLoss.Api"));
        }
        info.Environment["ASPNETCORE_URLS"] = url;
        var db = DatabaseFor(dbPath);
        info.Environment["WINLOSS_DB"] = db;
        if (db != dbPath) info.Environment["WINLOSS_DATA_DIR"] = Path.GetDirectoryName(Path.GetFullPath(dbPath))!; // admin.key, snapshot beside the "file"
        if (adminKey is not null) info.Environment["WINLOSS_ADMIN_KEY"] = adminKey;
        else info.Environment.Remove("WINLOSS_ADMIN_KEY");
        info.Environment["WINLOSS_RATE_LIMIT"] = "100000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the service");
        var service = new ServiceProcess(process, url, dbPath);
        process.OutputDataReceived += (_, e) => { lock (service.Output) service.Output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (service.Output) service.Output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException("service exited: " + service.Output);
            try
            {
                var response = await http.GetAsync(url + "/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return service;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        await service.DisposeAsync();
        throw new TimeoutException("service did not become ready: " + service.Output);
    }

    public HttpClient Client(string? key = TestApp.AdminKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a crash looks like.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Task.CompletedTask;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> PostgreSqlDatabases = new();

    /// <summary>
    /// WINLOSS_DB for a test's database file: the file itself, or on the PostgreSQL pass (<see cref="TestEngine"/>) a
    /// PostgreSQL database standing for it — the same path gives the same database, so a restarted process finds its data.
    /// A connection string is passed through.
    /// </summary>
    public static string DatabaseFor(string dbPath) =>
        TestEngine.PostgreSql && !dbPath.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? PostgreSqlDatabases.GetOrAdd(Path.GetFullPath(dbPath), _ => TestEngine.CreatePostgreSqlDatabase())
            : dbPath;

    /// <summary>Where a service on <paramref name="dbPath"/> saves its read-side snapshot (beside the file, or in its data directory).</summary>
    public static string SnapshotPath(string dbPath)
    {
        var db = DatabaseFor(dbPath);
        return db == dbPath
            ? dbPath + ".readside"
            : new WinLoss.Api.Infrastructure.Database.Db(db, Path.GetDirectoryName(Path.GetFullPath(dbPath))).ReadSideSnapshotPath;
    }

    /// <summary>A connection to the database <paramref name="dbPath"/> stands for (see <see cref="DatabaseFor"/>).</summary>
    public static System.Data.Common.DbConnection OpenDb(string dbPath) => TestEngine.Open(DatabaseFor(dbPath));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
