using System.Net;
using System.Security.Cryptography;
using System.Text;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

[Trait("Engine", "Sqlite")]
public sealed class KeyStorageTests
{
    [Fact]
    public async Task The_raw_database_files_hold_key_hashes_but_never_a_key()
    {
        var keys = new List<string>();
        await using (var app = new TestApp())
        {
            await app.InitializeAsync();
            var admin = app.Admin();
            for (var i = 0; i < 4; i++)
            {
                var created = await (await admin.PostAsync("/api/v1/users", Http.Json(new { email = $"k{i}@example.com", displayName = $"K {i}", role = i % 2 == 0 ? "rep" : "analyst" }))).ReadJson();
                var id = created["user"]!["id"]!.GetValue<long>();
                keys.Add(created["key"]!["key"]!.GetValue<string>());
                var issued = await admin.PostAsync($"/api/v1/users/{id}/keys", null);
                Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
                keys.Add((await issued.ReadJson())["key"]!.GetValue<string>());
            }
            foreach (var key in keys) Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetAsync("/api/v1/me")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/v1/keys/3")).StatusCode);

            var bytes = ReadAll(app.Directory);
            Assert.True(bytes.Length > 4096);
            // The hashes are there (so these are the right files, WAL included)...
            Assert.All(keys, key => Assert.True(IndexOf(bytes, SHA256.HashData(Encoding.UTF8.GetBytes(key))) >= 0, "hash of a key not found: wrong files?"));
            // ...the keys are not: not as text, not without their prefix, not as their raw random bytes.
            foreach (var key in keys.Append(TestApp.AdminKey))
            {
                Assert.Equal(-1, IndexOf(bytes, Encoding.UTF8.GetBytes(key)));
                Assert.Equal(-1, IndexOf(bytes, Encoding.UTF8.GetBytes(key[3..])));
                Assert.Equal(-1, IndexOf(bytes, Encoding.Unicode.GetBytes(key)));
            }
            foreach (var key in keys)
                Assert.Equal(-1, IndexOf(bytes, Convert.FromBase64String(key[3..].Replace('-', '+').Replace('_', '/') + "=")));
        }
    }

    private static byte[] ReadAll(string directory)
    {
        using var all = new MemoryStream();
        foreach (var file in Directory.GetFiles(directory))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        return all.ToArray();
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
