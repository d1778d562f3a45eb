using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

public sealed class UsersApiTests(TestApp app) : IClassFixture<TestApp>
{
    private static string Email() => $"u-{Guid.NewGuid():N}@example.com";

    private async Task<JsonNode> CreateUser(string role, string? email = null)
    {
        var response = await app.Admin().PostAsync("/api/v1/users", Http.Json(new { email = email ?? Email(), displayName = "Dana Rep", role, team = "Nordics", region = "EMEA" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadJson();
    }

    [Fact]
    public async Task Creating_a_user_returns_the_user_and_a_working_first_key_shown_once()
    {
        var email = Email();
        var response = await app.Admin().PostAsync("/api/v1/users", Http.Json(new { email = "  " + email + " ", displayName = " Dana Rep ", role = "rep", team = "Nordics" }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJson();
        var id = body["user"]!["id"]!.GetValue<long>();
        Assert.Equal($"/api/v1/users/{id}", response.Headers.Location!.ToString());
        Assert.Equal(email, body["user"]!["email"]!.GetValue<string>());
        Assert.Equal("Dana Rep", body["user"]!["displayName"]!.GetValue<string>());
        Assert.Equal("rep", body["user"]!["role"]!.GetValue<string>());
        Assert.Equal("Nordics", body["user"]!["team"]!.GetValue<string>());
        var key = body["key"]!["key"]!.GetValue<string>();
        Assert.StartsWith("wl_", key);
        Assert.True(key.Length >= 3 + 43, "256 random bits are at least 43 base64url characters");
        Assert.StartsWith(body["key"]!["prefix"]!.GetValue<string>(), key);

        var me = await (await app.Client(key).GetAsync("/api/v1/me")).ReadJson();
        Assert.Equal(id, me["id"]!.GetValue<long>());
        Assert.Equal("rep", me["role"]!.GetValue<string>());
        Assert.Equal(body["key"]!["id"]!.GetValue<long>(), me["keyId"]!.GetValue<long>());

        // Shown once: neither the user, the key listing nor the audit log ever returns it again.
        var admin = app.Admin();
        foreach (var url in new[] { $"/api/v1/users/{id}", $"/api/v1/users/{id}/keys", "/api/v1/users?limit=500", "/api/v1/audit?limit=500", "/api/v1/me" })
            Assert.DoesNotContain(key[3..], await admin.GetStringAsync(url));
    }

    [Theory]
    [InlineData("""{"displayName":"A","role":"rep"}""", "email")]
    [InlineData("""{"email":"not-an-email","displayName":"A","role":"rep"}""", "email")]
    [InlineData("""{"email":"a@b","displayName":"A","role":"rep"}""", "email")]
    [InlineData("""{"email":"a b@example.com","displayName":"A","role":"rep"}""", "email")]
    [InlineData("""{"email":"a@@example.com","displayName":"A","role":"rep"}""", "email")]
    [InlineData("""{"email":"x@example.com","role":"rep"}""", "displayName")]
    [InlineData("""{"email":"x@example.com","displayName":"   ","role":"rep"}""", "displayName")]
    [InlineData("""{"email":"x@example.com","displayName":"A"}""", "role")]
    [InlineData("""{"email":"x@example.com","displayName":"A","role":"superuser"}""", "role")]
    [InlineData("""{"email":"x@example.com","displayName":"A","role":"Admin"}""", "role")]
    [InlineData("""{"email":"x@example.com","displayName":"A","role":"rep","team":"line1\nline2"}""", "team")]
    [InlineData("""{"email":"x@example.com","displayName":"A","role":"rep","isAdmin":true}""", "isAdmin")]
    [InlineData("""{"email":42,"displayName":"A","role":"rep"}""", "email")]
    public async Task Invalid_users_are_400_naming_the_field_and_nothing_is_stored(string json, string field)
    {
        var response = await app.Admin().PostAsync("/api/v1/users", Http.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error for {field}, got {errors.ToJsonString()}");
        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM users WHERE email = 'x@example.com'"));
    }

    [Fact]
    public async Task A_second_user_with_the_same_email_in_any_case_is_409()
    {
        var email = Email();
        await CreateUser("rep", email);
        var again = await app.Admin().PostAsync("/api/v1/users", Http.Json(new { email = email.ToUpperInvariant(), displayName = "Other", role = "analyst" }));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM users WHERE email = @email COLLATE NOCASE", new { email }));
    }

    [Fact]
    public async Task Issued_keys_work_and_are_listed_by_prefix_and_dates_without_the_key()
    {
        var user = await CreateUser("marketing");
        var id = user["user"]!["id"]!.GetValue<long>();
        var issued = await app.Admin().PostAsync($"/api/v1/users/{id}/keys", null);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var second = (await issued.ReadJson())["key"]!.GetValue<string>();
        Assert.NotEqual(user["key"]!["key"]!.GetValue<string>(), second);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(second).GetAsync("/api/v1/me")).StatusCode);

        var keys = (await (await app.Admin().GetAsync($"/api/v1/users/{id}/keys")).ReadJson()).AsArray();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k =>
        {
            Assert.Equal(["createdAt", "id", "lastUsedAt", "prefix", "revokedAt", "userId"], k!.AsObject().Select(p => p.Key).Order());
            Assert.Equal(10, k["prefix"]!.GetValue<string>().Length);
        });
        // The key just used carries a last-used time; the unused first key does not.
        await WaitFor(async () => (await (await app.Admin().GetAsync($"/api/v1/users/{id}/keys")).ReadJson())[0]!["lastUsedAt"] is not null);
        Assert.Null((await (await app.Admin().GetAsync($"/api/v1/users/{id}/keys")).ReadJson())[1]!["lastUsedAt"]);
    }

    [Fact]
    public async Task Keys_of_an_unknown_user_are_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().PostAsync("/api/v1/users/999999/keys", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().GetAsync("/api/v1/users/999999/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().GetAsync("/api/v1/users/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().DeleteAsync("/api/v1/keys/999999")).StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once_and_the_users_other_keys_keep_working()
    {
        var user = await CreateUser("rep");
        var id = user["user"]!["id"]!.GetValue<long>();
        var first = user["key"]!["key"]!.GetValue<string>();
        var second = (await (await app.Admin().PostAsync($"/api/v1/users/{id}/keys", null)).ReadJson())["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await app.Client(first).GetAsync("/api/v1/me")).StatusCode); // now cached

        var revoke = await app.Admin().DeleteAsync($"/api/v1/keys/{user["key"]!["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(first).GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(second).GetAsync("/api/v1/me")).StatusCode);
        var listed = (await (await app.Admin().GetAsync($"/api/v1/users/{id}/keys")).ReadJson()).AsArray();
        Assert.NotNull(listed.Single(k => k!["id"]!.GetValue<long>() == user["key"]!["id"]!.GetValue<long>())!["revokedAt"]);
        // Revoking again changes nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Admin().DeleteAsync($"/api/v1/keys/{user["key"]!["id"]}")).StatusCode);
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM audit_log WHERE action = 'key.revoked' AND details LIKE @k",
            new { k = $"%\"keyId\":{user["key"]!["id"]},%" }));
    }

    [Fact]
    public async Task The_last_working_admin_key_cannot_be_revoked()
    {
        await using var fresh = new TestApp();
        await fresh.InitializeAsync();
        var me = await (await fresh.Admin().GetAsync("/api/v1/me")).ReadJson();
        var response = await fresh.Admin().DeleteAsync($"/api/v1/keys/{me["keyId"]}");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Admin().GetAsync("/api/v1/me")).StatusCode);

        // With a second admin key the first may go.
        var other = await (await fresh.Admin().PostAsync($"/api/v1/users/{me["id"]}/keys", null)).ReadJson();
        Assert.Equal(HttpStatusCode.NoContent, (await fresh.Admin().DeleteAsync($"/api/v1/keys/{me["keyId"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.Admin().GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Client(other["key"]!.GetValue<string>()).GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task A_role_change_takes_effect_with_the_next_request()
    {
        var user = await CreateUser("rep");
        var id = user["user"]!["id"]!.GetValue<long>();
        var key = user["key"]!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(key).GetAsync("/api/v1/users")).StatusCode);

        var patch = await app.Admin().PatchAsync($"/api/v1/users/{id}", Http.Json(new { role = "admin", team = "" }));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var body = await patch.ReadJson();
        Assert.Equal("admin", body["role"]!.GetValue<string>());
        Assert.Null(body["team"]);
        Assert.Equal("Dana Rep", body["displayName"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetAsync("/api/v1/users")).StatusCode);

        var back = await app.Admin().PatchAsync($"/api/v1/users/{id}", Http.Json(new { role = "marketing" }));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(key).GetAsync("/api/v1/users")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Admin().PatchAsync($"/api/v1/users/{id}", Http.Json(new { role = "boss" }))).StatusCode);
    }

    [Fact]
    public async Task Users_are_listed_in_pages_and_by_role()
    {
        for (var i = 0; i < 3; i++) await CreateUser("analyst");
        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await app.Admin().GetAsync("/api/v1/users?role=analyst&limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).ReadJson();
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= 2);
            Assert.All(items, u => Assert.Equal("analyst", u!["role"]!.GetValue<string>()));
            seen.AddRange(items.Select(u => u!["id"]!.GetValue<long>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.True(seen.Count >= 3);
        Assert.Equal(seen.Distinct().Order(), seen);
        var bad = await app.Admin().GetAsync("/api/v1/users?role=boss&limit=x&cursor=%%%");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Creating_users_and_issuing_and_revoking_keys_are_audited_with_who_and_what()
    {
        var adminId = (await (await app.Admin().GetAsync("/api/v1/me")).ReadJson())["id"]!.GetValue<long>();
        var user = await CreateUser("rep");
        var id = user["user"]!["id"]!.GetValue<long>();
        await app.Admin().DeleteAsync($"/api/v1/keys/{user["key"]!["id"]}");

        var entries = (await (await app.Admin().GetAsync($"/api/v1/audit?userId={adminId}&limit=500")).ReadJson())["items"]!.AsArray()
            .Where(e => e!["target"]?.GetValue<string>() == $"user/{id}").ToList();
        Assert.Equal(["key.revoked", "key.issued", "user.created"], entries.Select(e => e!["action"]!.GetValue<string>()));
        Assert.All(entries, e =>
        {
            Assert.Equal(adminId, e!["userId"]!.GetValue<long>());
            Assert.Equal("admin", e["role"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(e["at"]!.GetValue<string>()));
        });
        Assert.Equal("rep", entries[2]!["details"]!["role"]!.GetValue<string>());
        Assert.Equal(user["key"]!["id"]!.GetValue<long>(), entries[0]!["details"]!["keyId"]!.GetValue<long>());
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("condition not met");
    }
}
