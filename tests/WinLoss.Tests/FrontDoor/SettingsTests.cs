using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.FrontDoor;

/// <summary>The WINLOSS_* settings are checked at start-up: a bad value stops the service, naming the setting.</summary>
public sealed class SettingsTests
{
    private sealed class App(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        public string Directory { get; } = Path.Combine(Path.GetTempPath(), "winloss-settings", Guid.NewGuid().ToString("N"));

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            System.IO.Directory.CreateDirectory(Directory);
            builder.UseSetting("WINLOSS_DB", Path.Combine(Directory, "winloss.db"));
            builder.UseSetting("WINLOSS_ADMIN_KEY", TestApp.AdminKey);
            foreach (var (k, v) in settings) builder.UseSetting(k, v);
            builder.UseEnvironment("Testing");
        }
    }

    private static string StartFailure(params (string Key, string Value)[] settings)
    {
        using var app = new App(settings.ToDictionary(s => s.Key, s => s.Value));
        var error = Record.Exception(() => app.Server);
        Assert.NotNull(error);
        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException) messages.Add(e.Message);
        Assert.False(File.Exists(Path.Combine(app.Directory, "winloss.db")), "the database was opened before the settings were checked");
        try { Directory.Delete(app.Directory, recursive: true); } catch (IOException) { }
        return string.Join(" | ", messages);
    }

    [Theory]
    [InlineData("WINLOSS_RATE_LIMIT", "0")]
    [InlineData("WINLOSS_RATE_LIMIT", "six hundred")]
    [InlineData("WINLOSS_RATE_LIMIT", "-5")]
    [InlineData("WINLOSS_ADMIN_KEY", "too-short-key")]
    [InlineData("WINLOSS_BENCH", "yes")]
    [InlineData("WINLOSS_READSIDE_THREADS", "0")]
    [InlineData("WINLOSS_READSIDE_THREADS", "two")]
    public void A_bad_setting_stops_the_start_with_a_message_naming_it(string key, string value)
    {
        var message = StartFailure((key, value));
        Assert.Contains(key + " must", message);
    }

    [Fact]
    public async Task The_read_side_runs_its_queries_on_the_threads_WINLOSS_READSIDE_THREADS_allows()
    {
        await using var app = new App(new Dictionary<string, string> { ["WINLOSS_READSIDE_THREADS"] = "3" });
        _ = app.Server;
        var read = app.Services.GetRequiredService<WinLoss.Api.Infrastructure.ReadSide.ReadStore>();
        await using var duck = await read.ConnectAsync(CancellationToken.None);
        using var command = duck.CreateCommand();
        command.CommandText = "SELECT current_setting('threads')";
        Assert.Equal(3L, Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        try { Directory.Delete(app.Directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_database_path_naming_a_directory_is_refused_and_every_bad_setting_is_named_at_once()
    {
        var message = StartFailure(("WINLOSS_DB", Path.GetTempPath()), ("WINLOSS_RATE_LIMIT", "0"));
        Assert.Contains("WINLOSS_DB must name a database file, not a directory", message);
        Assert.Contains("WINLOSS_RATE_LIMIT must", message);
    }

    [Fact]
    [Trait("Tier", "Process")]
    public async Task The_real_process_exits_before_listening_and_says_which_setting_is_wrong()
    {
        var dir = Path.Combine(Path.GetTempPath(), "winloss-settings", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                ServiceProcess.StartAsync(Path.Combine(dir, "winloss.db"), env: new Dictionary<string, string> { ["WINLOSS_RATE_LIMIT"] = "0" }));
            Assert.Contains("service exited", error.Message);
            Assert.Contains("WINLOSS_RATE_LIMIT must be a whole number of requests per minute per key, at least 1", error.Message);
            Assert.DoesNotContain("Now listening", error.Message);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
