using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

public sealed class FirstStartTests
{
    [Fact]
    public async Task Without_WINLOSS_ADMIN_KEY_the_first_start_writes_a_generated_admin_key_readable_only_by_the_owner()
    {
        await using var baseApp = new TestApp();
        var keyFile = Path.Combine(baseApp.Directory, "admin.key");
        string key;
        await using (var first = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_ADMIN_KEY", null)))
        {
            var client = first.CreateClient();
            Assert.True(File.Exists(keyFile), "admin.key was not written beside the database");
            key = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.Matches("^wl_[A-Za-z0-9_-]{43}$", key);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var me = await (await client.GetAsync("/api/v1/me")).ReadJson();
            Assert.Equal("admin", me["role"]!.GetValue<string>());
            var audit = await (await client.GetAsync("/api/v1/audit?action=user.created")).ReadJson();
            Assert.Single(audit["items"]!.AsArray());
        }

        // A second start finds the admin: no new admin, no new key, the file is left alone.
        var written = File.GetLastWriteTimeUtc(keyFile);
        await using (var second = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_ADMIN_KEY", null)))
        {
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
            Assert.Equal(key, (await File.ReadAllTextAsync(keyFile)).Trim());
            Assert.Equal(written, File.GetLastWriteTimeUtc(keyFile));
        }
        using var db = baseApp.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM users WHERE role = 'admin'"));
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM api_keys"));
    }

    [Fact]
    public async Task A_configured_admin_key_is_used_and_no_key_file_is_written()
    {
        await using var app = new TestApp();
        await app.InitializeAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().GetAsync("/api/v1/users")).StatusCode);
        Assert.False(File.Exists(Path.Combine(app.Directory, "admin.key")));
    }

    [Fact]
    public async Task A_configured_admin_key_shorter_than_32_characters_stops_start_up()
    {
        await using var baseApp = new TestApp();
        await using var factory = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_ADMIN_KEY", "wl_short"));
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("WINLOSS_ADMIN_KEY", error.ToString());
    }
}
