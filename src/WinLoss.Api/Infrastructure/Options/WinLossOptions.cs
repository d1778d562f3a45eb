using System.Globalization;
using Microsoft.Extensions.Options;

namespace WinLoss.Api.Infrastructure.Options;

/// <summary>
/// The WINLOSS_* settings (README "Settings", docs/operations.md), read once and checked at start-up, before the
/// database is opened or a port is bound: a bad value stops the service with a message naming each bad setting.
/// Values come from configuration (environment variables, command line, appsettings) like any ASP.NET Core setting.
/// </summary>
public sealed record WinLossOptions
{
    public const string DefaultDb = "./data/winloss.db";
    public const int DefaultRateLimit = 600;
    public const int MinAdminKeyLength = 32;

    /// <summary>WINLOSS_DB: the SQLite file.</summary>
    public string Db { get; init; } = DefaultDb;

    /// <summary>WINLOSS_ADMIN_KEY: the first admin's key on a database without one; null = generate one.</summary>
    public string? AdminKey { get; init; }

    /// <summary>WINLOSS_RATE_LIMIT: requests per minute per key.</summary>
    public int RateLimitPerMinute { get; init; } = DefaultRateLimit;

    /// <summary>WINLOSS_BENCH=1 maps the bare baseline endpoint scripts/bench.sh intake compares with.</summary>
    public bool Bench { get; init; }

    /// <summary>Reads and checks the settings; throws <see cref="OptionsValidationException"/> naming every bad one.</summary>
    public static WinLossOptions Load(IConfiguration configuration)
    {
        var failures = new List<string>();
        string? Read(string name) => configuration[name] ?? Environment.GetEnvironmentVariable(name);

        var db = Read("WINLOSS_DB");
        if (db is not null && (string.IsNullOrWhiteSpace(db) || db.Contains('\0', StringComparison.Ordinal)))
            failures.Add("WINLOSS_DB must be the path of the SQLite database file (it is empty or not a path).");
        else if (db is not null && Directory.Exists(db))
            failures.Add($"WINLOSS_DB must name a database file, not a directory ({db}); e.g. {Path.Combine(db, "winloss.db")}.");

        var adminKey = Read("WINLOSS_ADMIN_KEY");
        if (string.IsNullOrWhiteSpace(adminKey)) adminKey = null; // "WINLOSS_ADMIN_KEY=" means unset
        else if (adminKey.Trim().Length < MinAdminKeyLength)
            failures.Add($"WINLOSS_ADMIN_KEY must be at least {MinAdminKeyLength} characters (it has {adminKey.Trim().Length}); leave it unset to have a key generated.");

        var rateLimit = DefaultRateLimit;
        var rateText = Read("WINLOSS_RATE_LIMIT");
        if (!string.IsNullOrWhiteSpace(rateText) &&
            (!int.TryParse(rateText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out rateLimit) || rateLimit < 1))
            failures.Add($"WINLOSS_RATE_LIMIT must be a whole number of requests per minute per key, at least 1 (it is \"{rateText}\").");

        var bench = Read("WINLOSS_BENCH");
        if (bench is not (null or "" or "0" or "1"))
            failures.Add($"WINLOSS_BENCH must be 1 (map the benchmark baseline endpoint) or 0 (it is \"{bench}\").");

        if (failures.Count > 0) throw new OptionsValidationException("WINLOSS", typeof(WinLossOptions), failures);
        return new WinLossOptions
        {
            Db = string.IsNullOrWhiteSpace(db) ? DefaultDb : db,
            AdminKey = adminKey,
            RateLimitPerMinute = rateLimit,
            Bench = bench == "1",
        };
    }
}
