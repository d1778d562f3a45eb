using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

/// <summary>
/// The role matrix (docs/api-guide.md, "Users, roles and API keys") with real data: each action of the matrix as the owning rep, another rep, marketing,
/// analyst, admin and without a key. Another rep's report is 404 (no existence leak), a missing key 401.
/// </summary>
public sealed class AccessRulesTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string[] Callers = ["owner", "otherRep", "marketing", "analyst", "admin", "none"];

    // action → expected status per caller, in the order of Callers
    private static readonly Dictionary<string, int[]> Expected = new()
    {
        ["fileOwn"] = [201, 201, 403, 201, 201, 401],
        ["fileOnBehalf"] = [201, 403, 403, 201, 201, 401], // the owner naming themselves is filing their own
        ["read"] = [200, 404, 200, 200, 200, 401],
        ["history"] = [200, 404, 200, 200, 200, 401],
        ["amend"] = [200, 404, 403, 200, 200, 401],
        ["delete"] = [403, 403, 403, 204, 204, 401],
        ["listUsers"] = [403, 403, 403, 403, 200, 401],
        ["createUser"] = [403, 403, 403, 403, 201, 401],
        ["issueKey"] = [403, 403, 403, 403, 201, 401],
        ["listKeys"] = [403, 403, 403, 403, 200, 401],
        ["revokeKey"] = [403, 403, 403, 403, 204, 401],
        ["audit"] = [403, 403, 403, 403, 200, 401],
        ["me"] = [200, 200, 200, 200, 200, 401],
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var action in Expected.Keys)
            foreach (var caller in Callers)
                data.Add(action, caller);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_role_gets_what_the_role_matrix_says(string action, string caller)
    {
        var (ownerId, ownerKey) = app.SeedUser("rep");
        var keys = new Dictionary<string, string?>
        {
            ["owner"] = ownerKey,
            ["otherRep"] = app.SeedUser("rep").Key,
            ["marketing"] = app.SeedUser("marketing").Key,
            ["analyst"] = app.SeedUser("analyst").Key,
            ["admin"] = app.SeedUser("admin").Key,
            ["none"] = null,
        };
        var client = app.Client(keys[caller]);
        var deal = $"AR-{Guid.NewGuid():N}";
        var admin = app.Admin();

        async Task<long> OwnersReport()
        {
            var created = await app.Client(ownerKey).PostReport(Http.Report(deal));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            return (await created.ReadJson())["id"]!.GetValue<long>();
        }

        var response = action switch
        {
            "fileOwn" => await client.PostReport(Http.Report(deal)),
            "fileOnBehalf" => await client.PostReport(Http.Report(deal, b => b["repId"] = ownerId)),
            "read" => await client.GetAsync($"/api/v1/reports/{await OwnersReport()}"),
            "history" => await client.GetAsync($"/api/v1/reports/{await OwnersReport()}/history"),
            "amend" => await Amend(client, await OwnersReport(), deal),
            "delete" => await client.DeleteAsync($"/api/v1/reports/{await OwnersReport()}?reason=duplicate"),
            "listUsers" => await client.GetAsync("/api/v1/users"),
            "createUser" => await client.PostAsync("/api/v1/users", Http.Json(new { email = $"{deal}@example.com", displayName = "New", role = "rep" })),
            "issueKey" => await client.PostAsync($"/api/v1/users/{ownerId}/keys", null),
            "listKeys" => await client.GetAsync($"/api/v1/users/{ownerId}/keys"),
            "revokeKey" => await client.DeleteAsync($"/api/v1/keys/{await NewKeyId(admin, ownerId)}"),
            "audit" => await client.GetAsync("/api/v1/audit"),
            "me" => await client.GetAsync("/api/v1/me"),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        var expected = Expected[action][Array.IndexOf(Callers, caller)];
        Assert.True(expected == (int)response.StatusCode, $"{caller} {action}: expected {expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (expected >= 400) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (expected == 401) Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        if (action == "fileOnBehalf" && expected == 201) Assert.Equal(ownerId, (await response.ReadJson())["repId"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_rep_lists_only_their_own_reports_and_cannot_filter_their_way_into_another_reps()
    {
        var (aliceId, alice) = app.SeedUser("rep");
        var (_, bob) = app.SeedUser("rep");
        var (_, marketing) = app.SeedUser("marketing");
        Assert.Equal(HttpStatusCode.Created, (await app.Client(alice).PostReport(Http.Report($"AL-{Guid.NewGuid():N}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.Client(bob).PostReport(Http.Report($"BO-{Guid.NewGuid():N}"))).StatusCode);

        var bobSees = (await (await app.Client(bob).GetAsync($"/api/v1/reports?repId={aliceId}&limit=500")).ReadJson())["items"]!.AsArray();
        Assert.NotEmpty(bobSees);
        Assert.DoesNotContain(bobSees, r => r!["repId"]!.GetValue<long>() == aliceId);
        var marketingSees = (await (await app.Client(marketing).GetAsync($"/api/v1/reports?repId={aliceId}&limit=500")).ReadJson())["items"]!.AsArray();
        Assert.Single(marketingSees);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wl_not_a_real_key_at_all_000000000000000000000")]
    [InlineData("Bearer ")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    [InlineData("wl_without_scheme")]
    public async Task A_missing_or_bad_key_is_401_problem_json(string? authorization)
    {
        var client = app.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<HttpResponseMessage> Amend(HttpClient client, long id, string deal)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}")
        {
            Content = Http.Json(Http.Report(deal, b => b["outcome"] = "no_decision").ToJsonString()),
        };
        // The current ETag (read as admin: the caller may not be allowed to read it, and must still get 404/403, not 428).
        var current = await app.Admin().GetAsync($"/api/v1/reports/{id}");
        request.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag?.ToString() ?? "\"none\"");
        return await client.SendAsync(request);
    }

    private static async Task<long> NewKeyId(HttpClient admin, long userId)
    {
        var issued = await admin.PostAsync($"/api/v1/users/{userId}/keys", null);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        return (await issued.ReadJson())["id"]!.GetValue<long>();
    }
}
