using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

/// <summary>
/// The role matrix (docs/api-guide.md, "Users, roles and API keys"), restated per route. Every /api endpoint the app
/// maps must match a row here and carry exactly the roles of that row (through its policies): a new endpoint without a
/// policy, with a policy that lets the wrong roles in, or on a route the matrix does not know, fails.
/// </summary>
public static class RoleMatrix
{
    public static readonly string[] All = [Roles.Rep, Roles.Marketing, Roles.Analyst, Roles.Admin];
    private static readonly string[] FileReports = [Roles.Rep, Roles.Analyst, Roles.Admin];
    private static readonly string[] AmendReports = [Roles.Rep, Roles.Analyst, Roles.Admin];
    private static readonly string[] AnalystUp = [Roles.Analyst, Roles.Admin];
    private static readonly string[] MarketingUp = [Roles.Marketing, Roles.Analyst, Roles.Admin];
    private static readonly string[] AdminOnly = [Roles.Admin];
    private const string Write = "POST|PUT|PATCH|DELETE";

    /// <summary>(methods, route glob, roles). First match wins. "{}" is any route parameter, "**" any rest of the path.</summary>
    public static readonly (string Methods, string Route, string[] Roles)[] Rows =
    [
        // file a report: rep (own), analyst and admin (on behalf); read: all (reps their own, enforced as 404 in handlers)
        ("POST", "/api/v1/reports", FileReports),
        ("GET", "/api/v1/reports/**", All),
        ("PUT|PATCH", "/api/v1/reports/{}", AmendReports),
        ("DELETE", "/api/v1/reports/{}", AnalystUp),
        // buyer feedback (issue 19): read marketing+, write analyst+; the rep-vs-buyer calibration report: marketing+
        ("GET", "/api/v1/deals/{}/buyer-feedback/**", MarketingUp),
        (Write, "/api/v1/deals/{}/buyer-feedback/**", AnalystUp),
        ("GET|" + Write, "/api/v1/deals/{}/survey-links/**", AnalystUp),
        ("GET", "/api/v1/trends/calibration", MarketingUp),
        ("GET", "/api/v1/exports/buyer-feedback", AnalystUp),
        // trends and competitor profiles: everyone
        ("GET", "/api/v1/trends/**", All),
        ("GET", "/api/v1/competitors/{}/profile", All),
        // competitors, aliases, merges, unmatched triage: read all, write analyst+
        ("GET", "/api/v1/competitors/**", All),
        (Write, "/api/v1/competitors/**", AnalystUp),
        ("GET", "/api/v1/taxonomy/**", All),
        (Write, "/api/v1/taxonomy/**", AnalystUp),
        // message and collateral catalogue: read all, write marketing+
        ("GET", "/api/v1/catalog/**", All),
        (Write, "/api/v1/catalog/**", MarketingUp),
        // exports: raw reports analyst+, trends marketing+
        ("GET|POST", "/api/v1/exports/reports/**", AnalystUp),
        ("GET|POST", "/api/v1/exports/objections/**", AnalystUp),
        ("GET|POST", "/api/v1/exports/trends/**", MarketingUp),
        // CRM import: analyst+
        ("GET|" + Write, "/api/v1/imports/**", AnalystUp),
        // users, keys, audit log: admin
        ("GET|" + Write, "/api/v1/users/**", AdminOnly),
        ("GET|" + Write, "/api/v1/keys/**", AdminOnly),
        ("GET", "/api/v1/audit/**", AdminOnly),
        // operations (read-model rebuild, ...): admin
        ("GET|" + Write, "/api/v1/admin/**", AdminOnly),
        ("GET", "/api/v1/me", All),
        // webhooks (issue 18): analyst+
        ("GET|" + Write, "/api/v1/webhooks/**", AnalystUp),
        // closed deals from the CRM (issue 20): push and read analyst+ (as the CRM import); the waiting list: who files reports
        ("GET|POST", "/api/v1/deals/closed/**", AnalystUp),
        ("GET", "/api/v1/deals/waiting", FileReports),
        ("GET", "/api/v1/diagnostics/**", AnalystUp),
    ];

    public static string Normalize(string rawPattern)
    {
        var route = Regex.Replace(rawPattern.ToLowerInvariant(), @"\{[^}]*\}", "{}").TrimEnd('/');
        return route.StartsWith('/') ? route : "/" + route;
    }

    public static string[]? Expected(string method, string normalizedRoute)
    {
        foreach (var (methods, route, roles) in Rows)
            if (methods.Split('|').Contains(method) && Matches(route, normalizedRoute)) return roles;
        return null;
    }

    private static bool Matches(string glob, string route)
    {
        var g = glob.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var r = route.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < g.Length; i++)
        {
            if (g[i] == "**") return true;
            if (i >= r.Length) return false;
            if (g[i] != r[i] && !(g[i] == "{}" && r[i] == "{}")) return false;
        }
        return g.Length == r.Length;
    }
}

public sealed record ApiEndpoint(string Method, string Route, RoutePattern Pattern, string[] Policies, bool Anonymous, string[] Roles, string? Accepts)
{
    public override string ToString() => $"{Method} {Route}";

    /// <summary>Every /api endpoint the running app maps, read from its EndpointDataSource.</summary>
    public static List<ApiEndpoint> From(IServiceProvider services)
    {
        var source = services.GetRequiredService<EndpointDataSource>();
        var list = new List<ApiEndpoint>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var raw = endpoint.RoutePattern.RawText ?? "";
            if (!RoleMatrix.Normalize(raw).StartsWith("/api/", StringComparison.Ordinal)) continue;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            var policies = authorize.Select(a => a.Policy).OfType<string>().Distinct().ToArray();
            // Effective roles: every policy must pass, so a role gets in only if all of them admit it.
            IEnumerable<string> roles = RoleMatrix.All;
            foreach (var policy in policies)
                roles = roles.Intersect(WinLoss.Api.Infrastructure.Auth.Policies.Matrix.TryGetValue(policy, out var r) ? r : []);
            foreach (var roleList in authorize.Select(a => a.Roles).OfType<string>())
                roles = roles.Intersect(roleList.Split(',', StringSplitOptions.TrimEntries));
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var protectedAtAll = authorize.Count > 0;
            var accepts = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.ContentTypes.FirstOrDefault();
            foreach (var method in methods)
                list.Add(new ApiEndpoint(method, RoleMatrix.Normalize(raw), endpoint.RoutePattern, policies, anonymous,
                    protectedAtAll ? roles.OrderBy(x => x).ToArray() : [], accepts));
        }
        return list;
    }
}

public sealed class PermissionMatrixTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public void Every_api_endpoint_carries_exactly_the_roles_of_the_role_matrix()
    {
        var endpoints = ApiEndpoint.From(app.Services);
        Assert.True(endpoints.Count >= 15, $"expected the app's /api endpoints, found {endpoints.Count}");
        var problems = new List<string>();
        foreach (var e in endpoints)
        {
            var expected = RoleMatrix.Expected(e.Method, e.Route);
            if (expected is null) { problems.Add($"{e}: not in the role matrix table (tests/WinLoss.Tests/Identity/PermissionMatrixTests.cs); add its row"); continue; }
            if (e.Anonymous) { problems.Add($"{e}: allows anonymous access"); continue; }
            if (e.Policies.Length == 0) { problems.Add($"{e}: has no authorization policy (.RequireAuthorization(Policies.X))"); continue; }
            var want = expected.OrderBy(x => x).ToArray();
            if (!want.SequenceEqual(e.Roles))
                problems.Add($"{e}: policies [{string.Join(", ", e.Policies)}] admit [{string.Join(", ", e.Roles)}], the role matrix says [{string.Join(", ", want)}]");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_endpoint_of_the_role_matrix_that_exists_today_is_mapped()
    {
        var routes = ApiEndpoint.From(app.Services).Select(e => e.ToString()).ToHashSet();
        string[] required =
        [
            "POST /api/v1/reports", "GET /api/v1/reports", "GET /api/v1/reports/{}", "PUT /api/v1/reports/{}",
            "DELETE /api/v1/reports/{}", "GET /api/v1/reports/{}/history",
            "POST /api/v1/users", "GET /api/v1/users", "POST /api/v1/users/{}/keys", "GET /api/v1/users/{}/keys",
            "DELETE /api/v1/keys/{}", "GET /api/v1/me", "GET /api/v1/audit",
        ];
        var missing = required.Where(r => !routes.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "not mapped: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_matrix_table_rejects_what_the_role_matrix_forbids()
    {
        // The table is the test's oracle, so check a few of its answers against the documented roles directly.
        Assert.Null(RoleMatrix.Expected("GET", "/api/v1/secrets"));
        Assert.Equal([Roles.Admin], RoleMatrix.Expected("DELETE", "/api/v1/keys/{}")!);
        Assert.DoesNotContain(Roles.Marketing, RoleMatrix.Expected("POST", "/api/v1/reports")!);
        Assert.DoesNotContain(Roles.Rep, RoleMatrix.Expected("DELETE", "/api/v1/reports/{}")!);
        Assert.DoesNotContain(Roles.Rep, RoleMatrix.Expected("POST", "/api/v1/competitors/{}/merge")!);
        Assert.Contains(Roles.Rep, RoleMatrix.Expected("GET", "/api/v1/competitors/unmatched")!);
        Assert.Contains(Roles.Marketing, RoleMatrix.Expected("POST", "/api/v1/catalog/messages")!);
        Assert.DoesNotContain(Roles.Marketing, RoleMatrix.Expected("POST", "/api/v1/taxonomy/reasons")!);
        Assert.DoesNotContain(Roles.Marketing, RoleMatrix.Expected("GET", "/api/v1/exports/reports")!);
        Assert.DoesNotContain(Roles.Marketing, RoleMatrix.Expected("POST", "/api/v1/imports/crm")!);
    }
}

/// <summary>
/// Real HTTP calls: every /api endpoint the app maps, called by every role and without a key, on its own
/// database. No key is 401; a role outside the row is 403 (before any handler runs); a role inside the row
/// gets past authorization (whatever the handler then says about the placeholder request, never a 500).
/// </summary>
public sealed class PermissionMatrixHttpTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Every_role_against_every_api_endpoint_gets_401_403_or_through_as_the_role_matrix_says()
    {
        var keys = new Dictionary<string, string>();
        foreach (var role in RoleMatrix.All) keys[role] = app.SeedUser(role).Key;
        var anonymous = app.Client(null);
        var problems = new List<string>();
        var endpoints = ApiEndpoint.From(app.Services);

        foreach (var e in endpoints.Where(e => e.Method != "*"))
        {
            var expected = RoleMatrix.Expected(e.Method, e.Route) ?? [];
            var url = await FindUrl(anonymous, e);
            if (url is null) { problems.Add($"{e}: no placeholder URL reached the endpoint without a key as 401"); continue; }
            foreach (var role in RoleMatrix.All)
            {
                var status = (int)(await Send(app.Client(keys[role]), e, url)).StatusCode;
                var allowed = expected.Contains(role);
                if (!allowed && status != 403) problems.Add($"{role} {e.Method} {url}: {status}, expected 403");
                if (allowed && (status is 401 or 403 || status >= 500)) problems.Add($"{role} {e.Method} {url}: {status}, expected to get past authorization");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task<string?> FindUrl(HttpClient anonymous, ApiEndpoint e)
    {
        foreach (var url in Candidates(e.Pattern).Take(40))
            if ((await Send(anonymous, e, url)).StatusCode == HttpStatusCode.Unauthorized) return url;
        return null;
    }

    /// <summary>URLs for a route pattern: parameters filled with "1", or words from their constraints, or common names.</summary>
    private static IEnumerable<string> Candidates(RoutePattern pattern)
    {
        var options = pattern.Parameters.ToDictionary(p => p.Name, p =>
        {
            var words = p.ParameterPolicies.SelectMany(pp => Regex.Matches(pp.Content ?? "", "[A-Za-z][A-Za-z_-]+").Select(m => m.Value))
                .Where(w => w is not ("regex" or "alpha" or "long" or "int" or "guid" or "min" or "max" or "length" or "required"));
            return new[] { "1" }.Concat(words).Concat(["reasons", "objections", "messages", "collateral", "x"]).Distinct().ToArray();
        });
        var names = options.Keys.ToArray();
        var index = new int[names.Length];
        while (true)
        {
            var values = names.Select((n, i) => (n, options[n][index[i]])).ToDictionary(x => x.n, x => x.Item2);
            yield return "/" + string.Join("/", pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart l => l.Content,
                RoutePatternParameterPart p => values[p.Name],
                RoutePatternSeparatorPart sep => sep.Content,
                _ => "",
            }))));
            var k = 0;
            while (k < names.Length && ++index[k] == options[names[k]].Length) index[k++] = 0;
            if (k == names.Length) yield break;
        }
    }

    /// <summary>A placeholder request: "{}" in the content type the endpoint accepts (routing answers 415 before authorization otherwise).</summary>
    private static Task<HttpResponseMessage> Send(HttpClient client, ApiEndpoint e, string url)
    {
        var request = new HttpRequestMessage(new HttpMethod(e.Method), url);
        if (e.Method is "POST" or "PUT" or "PATCH")
        {
            var type = e.Accepts ?? "application/json";
            request.Content = type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
                ? new MultipartFormDataContent { { new StringContent("{}"), "placeholder" } }
                : new StringContent("{}", System.Text.Encoding.UTF8, type);
        }
        if (e.Method is "PUT" or "PATCH") request.Headers.TryAddWithoutValidation("If-Match", "*");
        return client.SendAsync(request);
    }
}
