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

    /// <summary>WINLOSS_DB: the SQLite file, or a PostgreSQL database (Npgsql connection string or postgres:// URL).</summary>
    public string Db { get; init; } = DefaultDb;

    /// <summary>WINLOSS_DATA_DIR: where local files go (admin.key, read-side snapshot, webhook key); null = beside the
    /// SQLite file, or ./data with PostgreSQL.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>WINLOSS_ADMIN_KEY: the first admin's key on a database without one; null = generate one.</summary>
    public string? AdminKey { get; init; }

    /// <summary>WINLOSS_RATE_LIMIT: requests per minute per key.</summary>
    public int RateLimitPerMinute { get; init; } = DefaultRateLimit;

    /// <summary>
    /// WINLOSS_READSIDE_THREADS: threads the read side's engine (DuckDB) may use per query; null = one per core. A cap
    /// keeps trend queries from taking every core of a machine shared with other work.
    /// </summary>
    public int? ReadSideThreads { get; init; }

    /// <summary>WINLOSS_BENCH=1 maps the bare baseline endpoint scripts/bench.sh intake compares with.</summary>
    public bool Bench { get; init; }

    /// <summary>Whether WINLOSS_DB is meant as PostgreSQL: a postgres:// URL or keyword=value pairs with a Host/Server.</summary>
    private static bool LooksLikePostgreSql(string db) =>
        Database.Db.IsPostgreSqlUrl(db) || (db.Contains('=', StringComparison.Ordinal) && db.Contains(';', StringComparison.Ordinal));

    /// <summary>Reads and checks the settings; throws <see cref="OptionsValidationException"/> naming every bad one.</summary>
    public static WinLossOptions Load(IConfiguration configuration)
    {
        var failures = new List<string>();
        string? Read(string name) => configuration[name] ?? Environment.GetEnvironmentVariable(name);

        var db = Read("WINLOSS_DB");
        if (db is not null && (string.IsNullOrWhiteSpace(db) || db.Contains('\0', StringComparison.Ordinal)))
            failures.Add("WINLOSS_DB must be the path of the SQLite database file or a PostgreSQL connection string (it is empty or not a path).");
        else if (db is not null && LooksLikePostgreSql(db))
        {
            try
            {
                if (Database.Db.PostgreSqlSetting(db) is null)
                    failures.Add("WINLOSS_DB looks like a PostgreSQL connection string but names no Host (e.g. Host=db.internal;Port=5432;Database=winloss;Username=winloss;Password=…).");
            }
            catch (Exception ex) when (ex is ArgumentException or UriFormatException or FormatException)
            {
                failures.Add($"WINLOSS_DB is not a valid PostgreSQL connection string or URL: {ex.Message}");
            }
        }
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

        int? readSideThreads = null;
        var threadsText = Read("WINLOSS_READSIDE_THREADS");
        if (!string.IsNullOrWhiteSpace(threadsText))
        {
            if (int.TryParse(threadsText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var threads) && threads is >= 1 and <= 1024)
                readSideThreads = threads;
            else
                failures.Add($"WINLOSS_READSIDE_THREADS must be a whole number of threads from 1 to 1024 (it is \"{threadsText}\"); leave it unset for one per core.");
        }
        var dataDir = Read("WINLOSS_DATA_DIR");
        if (string.IsNullOrWhiteSpace(dataDir)) dataDir = null;
        else if (dataDir.Contains('\0', StringComparison.Ordinal) || File.Exists(dataDir))
            failures.Add($"WINLOSS_DATA_DIR must name a directory (it is \"{dataDir}\").");

        if (failures.Count > 0) throw new OptionsValidationException("WINLOSS", typeof(WinLossOptions), failures);
        return new WinLossOptions
        {
            Db = string.IsNullOrWhiteSpace(db) ? DefaultDb : db,
            DataDirectory = dataDir,
            AdminKey = adminKey,
            RateLimitPerMinute = rateLimit,
            Bench = bench == "1",
            ReadSideThreads = readSideThreads,
        };
    }
}
