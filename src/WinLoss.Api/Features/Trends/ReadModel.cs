using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Trends;

/// <summary>What a fact row counts (see migration 0020 for the dimensions and counters of each).</summary>
public static class Kinds
{
    public const string Deal = "deal";
    public const string Competitor = "competitor";
    public const string Objection = "objection";
    public const string ObjectionRep = "objection_rep";
    public const string ObjectionReps = "objection_reps";
    public const string Reason = "reason";
    public const string Message = "message";
    public const string Collateral = "collateral";
}

/// <summary>Competitor keys used in facts: none named, any, a catalogue competitor, an unmatched name.</summary>
public static class CompetitorKey
{
    public const string None = "";
    public const string Any = "*";
    public static string Of(long? competitorId, string? normalized) =>
        competitorId is { } id ? "c" + id.ToString(CultureInfo.InvariantCulture)
        : string.IsNullOrEmpty(normalized) ? None : "u" + normalized;
}

/// <summary>One report as the read model sees it.</summary>
public sealed class ReportSnapshot
{
    public long Id { get; init; }
    public long RepId { get; init; }
    public string Outcome { get; init; } = "";
    public DateOnly ClosedOn { get; init; }
    public long? AmountCents { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    public string? Industry { get; init; }
    public string? Stage { get; init; }
    public string? LeadSource { get; init; }
    public long? LeadQuality { get; init; }
    public List<(string Key, bool Primary)> Competitors { get; } = [];
    public List<(string Category, bool Primary)> Reasons { get; } = [];
    public List<(string Category, string Competitor, bool Overcome)> Objections { get; } = [];
    public List<(string MessageId, string Resonance)> Messages { get; } = [];
    public List<string> Collateral { get; } = [];

    /// <summary>The filter values this report is found under (dimension, slice value).</summary>
    public IEnumerable<(string Dim, string Value)> SliceValues()
    {
        if (Segment is not null) yield return ("segment", Segment);
        if (Region is not null) yield return ("region", ReadModel.Fold(Region));
        if (Product is not null) yield return ("product", ReadModel.Fold(Product));
        if (Industry is not null) yield return ("industry", ReadModel.Fold(Industry));
        if (Stage is not null) yield return ("stage", Stage);
    }
}

/// <summary>One additive contribution: kind, dimensions, counters.</summary>
public readonly record struct Fact(string Kind, string K1, string K2, string K3, long[] C)
{
    /// <summary>Per-competitor breakdowns of objections, reasons, messages, and rep rows, live in slice 0 only.</summary>
    public bool InEverySlice => Kind switch
    {
        Kinds.ObjectionRep or Kinds.ObjectionReps => false,
        Kinds.Objection or Kinds.Message => K2 == CompetitorKey.Any,
        Kinds.Reason => K3 == CompetitorKey.Any,
        _ => true,
    };
}

public readonly record struct FactKey(string Kind, long Slice, char Grain, string Period, string K1, string K2, string K3);

/// <summary>
/// The trend read model: what each report contributes (<see cref="Facts"/>), applying a contribution
/// inside the writer's transaction (<see cref="Apply"/>), and rebuilding everything from the reports.
/// </summary>
public static class ReadModel
{
    public const int Counters = 9;
    private static readonly long[] SliceZero = [0];
    public static readonly (char Letter, Granularity Granularity)[] Grains =
        [('W', Granularity.Week), ('M', Granularity.Month), ('Q', Granularity.Quarter)];

    /// <summary>
    /// Filter slices are kept per month only (weeks and quarters of slice 0 only): that keeps the rows each
    /// report write touches to ~8 per fact. Quarters of a slice are summed from its months.
    /// </summary>
    public const char SliceGrain = 'M';

    public static char GrainLetter(Granularity g) => g switch { Granularity.Week => 'W', Granularity.Month => 'M', _ => 'Q' };

    /// <summary>Case folding for free-text filter values; ASCII only, the same as SQLite's NOCASE.</summary>
    public static string Fold(string value) => string.Create(value.Length, value, (span, v) =>
    {
        for (var i = 0; i < v.Length; i++) span[i] = v[i] is >= 'A' and <= 'Z' ? (char)(v[i] + 32) : v[i];
    });

    private static long[] C(params long[] values)
    {
        var c = new long[Counters];
        values.CopyTo(c, 0);
        return c;
    }

    /// <summary>Everything one live report adds to the read model (slice and period are added by the caller).</summary>
    public static List<Fact> Facts(ReportSnapshot r)
    {
        var facts = new List<Fact>(32);
        long won = r.Outcome == "won" ? 1 : 0, lost = r.Outcome == "lost" ? 1 : 0, nd = r.Outcome == "no_decision" ? 1 : 0;
        var cents = r.AmountCents ?? 0;
        var currency = r.AmountCents is null ? "" : r.Currency ?? "";
        var atRisk = lost + nd;

        facts.Add(new Fact(Kinds.Deal, r.LeadSource ?? "", currency, "", C(1, won, lost, nd, won * cents, lost * cents, nd * cents,
            r.LeadQuality ?? 0, r.LeadQuality is null ? 0 : 1)));

        // Competitors: after a merge two names of one report can map to the same competitor; count it once.
        var competitors = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (key, primary) in r.Competitors)
            if (key.Length > 0) competitors[key] = (competitors.TryGetValue(key, out var p) && p) || primary;
        var primaryKey = competitors.FirstOrDefault(kv => kv.Value).Key ?? CompetitorKey.None;
        List<string> dealCompetitors = competitors.Count == 0 ? [CompetitorKey.None] : [.. competitors.Keys];
        foreach (var key in dealCompetitors)
            facts.Add(new Fact(Kinds.Competitor, key, currency, "a", C(1, won, lost, nd, won * cents, lost * cents)));
        facts.Add(new Fact(Kinds.Competitor, primaryKey, currency, "p", C(1, won, lost, nd, won * cents, lost * cents)));

        // Objections: per category (any competitor) and per category × the competitor the objection names.
        foreach (var byCategory in r.Objections.GroupBy(o => o.Category, StringComparer.Ordinal))
        {
            var category = byCategory.Key;
            var groups = byCategory.GroupBy(o => o.Competitor, StringComparer.Ordinal)
                .Select(g => (Key: g.Key, Items: g.ToList()))
                .Prepend((Key: CompetitorKey.Any, Items: byCategory.ToList()));
            foreach (var (key, items) in groups)
            {
                long mentions = items.Count, overcome = items.Count(o => o.Overcome);
                facts.Add(new Fact(Kinds.Objection, category, key, currency, C(mentions, 1, overcome, atRisk * cents, atRisk)));
                facts.Add(new Fact(Kinds.ObjectionRep, category, key, r.RepId.ToString(CultureInfo.InvariantCulture), C(1)));
            }
        }

        // Reasons: per category × outcome, for any competitor and per competitor in the deal.
        foreach (var byCategory in r.Reasons.GroupBy(x => x.Category, StringComparer.Ordinal))
        {
            long primary = byCategory.Any(x => x.Primary) ? 1 : 0;
            foreach (var key in dealCompetitors.Prepend(CompetitorKey.Any))
                facts.Add(new Fact(Kinds.Reason, byCategory.Key, r.Outcome, key, C(1, primary)));
        }

        foreach (var (messageId, resonance) in r.Messages.DistinctBy(m => m.MessageId))
        {
            long res = resonance == "resonated" ? 1 : 0, neutral = resonance == "neutral" ? 1 : 0, flat = resonance == "fell_flat" ? 1 : 0;
            foreach (var key in dealCompetitors.Prepend(CompetitorKey.Any))
                facts.Add(new Fact(Kinds.Message, messageId, key, r.Outcome, C(1, res, neutral, flat)));
        }

        foreach (var id in r.Collateral.Distinct(StringComparer.Ordinal))
            facts.Add(new Fact(Kinds.Collateral, id, r.Outcome, "", C(1)));
        return facts;
    }

    // ---------------------------------------------------------------- loading reports

    private const string ReportColumns =
        """
        SELECT r.id, r.rep_id, r.outcome, r.closed_on, r.amount_cents, r.currency, r.segment, r.region, r.product,
               r.industry, r.stage_reached, r.lead_source, r.lead_quality
        FROM reports r
        """;
    private const string CompetitorRows =
        "SELECT x.report_id, x.competitor_id, x.normalized, x.is_primary FROM report_competitors x JOIN reports r ON r.id = x.report_id";
    private const string ReasonRows =
        "SELECT x.report_id, x.category, x.is_primary FROM report_reasons x JOIN reports r ON r.id = x.report_id";
    private const string ObjectionRows =
        "SELECT x.report_id, x.category, x.competitor_id, x.competitor_normalized, x.overcome FROM report_objections x JOIN reports r ON r.id = x.report_id";
    private const string MessageRows =
        "SELECT x.report_id, x.message_id, x.resonance FROM report_messages x JOIN reports r ON r.id = x.report_id";
    private const string CollateralRows =
        "SELECT x.report_id, x.collateral_id FROM report_collateral x JOIN reports r ON r.id = x.report_id";

    /// <summary>
    /// Live reports matching <paramref name="where"/> (a condition on alias r, built from constants by the
    /// caller; values always as parameters), with their child rows.
    /// </summary>
    public static List<ReportSnapshot> Load(SqliteConnection c, SqliteTransaction? t, string where, IReadOnlyDictionary<string, object?> parameters)
    {
        var condition = $" WHERE r.deleted_at IS NULL AND ({where})";
        var list = new List<ReportSnapshot>();
        var byId = new Dictionary<long, ReportSnapshot>();
        using (var reader = Reader(c, t, ReportColumns + condition + " ORDER BY r.id", parameters))
        {
            while (reader.Read())
            {
                var s = new ReportSnapshot
                {
                    Id = reader.GetInt64(0), RepId = reader.GetInt64(1), Outcome = reader.GetString(2),
                    ClosedOn = DateOnly.ParseExact(reader.GetString(3), "yyyy-MM-dd", CultureInfo.InvariantCulture),
                    AmountCents = reader.IsDBNull(4) ? null : reader.GetInt64(4), Currency = Str(reader, 5),
                    Segment = Str(reader, 6), Region = Str(reader, 7), Product = Str(reader, 8), Industry = Str(reader, 9),
                    Stage = Str(reader, 10), LeadSource = Str(reader, 11), LeadQuality = reader.IsDBNull(12) ? null : reader.GetInt64(12),
                };
                list.Add(s);
                byId[s.Id] = s;
            }
        }
        if (list.Count == 0) return list;
        using (var reader = Reader(c, t, CompetitorRows + condition + " ORDER BY x.report_id, x.position", parameters))
            while (reader.Read())
                if (byId.TryGetValue(reader.GetInt64(0), out var s))
                    s.Competitors.Add((CompetitorKey.Of(reader.IsDBNull(1) ? null : reader.GetInt64(1), Str(reader, 2)), reader.GetInt64(3) != 0));
        using (var reader = Reader(c, t, ReasonRows + condition + " ORDER BY x.report_id, x.position", parameters))
            while (reader.Read())
                if (byId.TryGetValue(reader.GetInt64(0), out var s))
                    s.Reasons.Add((reader.GetString(1), reader.GetInt64(2) != 0));
        using (var reader = Reader(c, t, ObjectionRows + condition + " ORDER BY x.report_id, x.position", parameters))
            while (reader.Read())
                if (byId.TryGetValue(reader.GetInt64(0), out var s))
                    s.Objections.Add((reader.GetString(1), CompetitorKey.Of(reader.IsDBNull(2) ? null : reader.GetInt64(2), Str(reader, 3)), reader.GetInt64(4) != 0));
        using (var reader = Reader(c, t, MessageRows + condition + " ORDER BY x.report_id, x.position", parameters))
            while (reader.Read())
                if (byId.TryGetValue(reader.GetInt64(0), out var s))
                    s.Messages.Add((reader.GetString(1), reader.GetString(2)));
        using (var reader = Reader(c, t, CollateralRows + condition + " ORDER BY x.report_id, x.position", parameters))
            while (reader.Read())
                if (byId.TryGetValue(reader.GetInt64(0), out var s))
                    s.Collateral.Add(reader.GetString(1));
        return list;
    }

    private static string? Str(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static SqliteDataReader Reader(SqliteConnection c, SqliteTransaction? t, string sql, IReadOnlyDictionary<string, object?> parameters)
    {
        var command = Command(c, t, sql);
        foreach (var (name, value) in parameters)
        {
            var parameterName = "@" + name;
            if (command.Parameters.Contains(parameterName)) command.Parameters[parameterName].Value = value ?? DBNull.Value;
            else command.Parameters.AddWithValue(parameterName, value ?? DBNull.Value);
        }
        return command.ExecuteReader();
    }

    /// <summary>
    /// Commands on the writer's connection are prepared once and reused (PreparedSql's cache: this runs on every
    /// report write; compiling the SQL each time would cost more than running it). Reader connections get fresh commands.
    /// </summary>
    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? t, string sql)
    {
        if (t is not null) return c.Cached(t, sql);
        var fresh = c.CreateCommand();
        fresh.CommandText = sql;
        return fresh;
    }

    // ---------------------------------------------------------------- incremental updates

    private const string FindSliceSql = "SELECT id FROM trend_slices WHERE dim = @dim AND value = @value";
    private const string InsertSliceSql = "INSERT INTO trend_slices (dim, value) VALUES (@dim, @value) RETURNING id";

    /// <summary>
    /// Slice ids of a report: 0 (all) and one per filter value it has; created on first use. Ids in
    /// <paramref name="known"/> are taken from there; <paramref name="found"/> is told each id looked up in the database.
    /// </summary>
    public static List<long> SliceIds(SqliteConnection c, SqliteTransaction t, ReportSnapshot r,
        IReadOnlyDictionary<(string, string), long> known, Action<(string, string), long> found)
    {
        var ids = new List<long>(6) { 0 };
        foreach (var (dim, value) in r.SliceValues())
        {
            if (!known.TryGetValue((dim, value), out var id))
            {
                id = c.Scalar<long?>(t, FindSliceSql, new { dim, value }) ?? c.Scalar<long>(t, InsertSliceSql, new { dim, value });
                found((dim, value), id);
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// Slice ids already committed, per writer connection (slices are never deleted), so filing a report needs no
    /// slice lookups. A slice found or created by a job becomes known only when its batch reaches COMMIT: a job that
    /// rolls back drops what it staged, and a batch whose COMMIT fails makes the writer replace its connection, and
    /// with it this cache.
    /// </summary>
    public sealed class KnownSlices : BatchState
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, Dictionary<(string, string), long>> Committed = new();
        private readonly List<((string, string) Key, long Id)> _job = [];
        private readonly List<((string, string) Key, long Id)> _batch = [];

        public static Dictionary<(string, string), long> For(SqliteConnection c) => Committed.GetOrCreateValue(c);

        /// <summary>No known slices (outside a writer batch nothing is cached).</summary>
        public static readonly IReadOnlyDictionary<(string, string), long> None = new Dictionary<(string, string), long>();

        public void Stage((string, string) key, long id) => _job.Add((key, id));

        protected internal override void JobSucceeded() { _batch.AddRange(_job); _job.Clear(); }

        protected internal override void JobFailed() => _job.Clear();

        protected internal override void BeforeCommit(SqliteConnection c, SqliteTransaction t)
        {
            var known = For(c);
            foreach (var (key, id) in _batch) known[key] = id;
            _batch.Clear();
        }
    }

    // One fact row per execution of a prepared statement (PreparedSql: bind by index, step, reset): an UPDATE, and an
    // INSERT only when the row does not exist yet. Measured on a batch of ~9 filed reports (~47 fact rows): 380 µs,
    // against 650 µs for one INSERT … ON CONFLICT DO UPDATE over all rows as a JSONB parameter (16 ->> per row) and
    // 545 µs for a per-row upsert (its conflict check and its update each look the key up).
    private const string AddToRowSql =
        """
        UPDATE trend_facts SET c0 = c0 + @C0, c1 = c1 + @C1, c2 = c2 + @C2, c3 = c3 + @C3, c4 = c4 + @C4,
                               c5 = c5 + @C5, c6 = c6 + @C6, c7 = c7 + @C7, c8 = c8 + @C8
        WHERE kind = @Kind AND slice_id = @Slice AND grain = @Grain AND period = @Period AND k1 = @K1 AND k2 = @K2 AND k3 = @K3
        """;
    // Read after the UPDATE rather than with RETURNING, which makes SQLite buffer results in a temporary table:
    // 16 µs per row with RETURNING against 7 + 4 this way.
    private const string RowCountSql =
        "SELECT c0 FROM trend_facts WHERE kind = @Kind AND slice_id = @Slice AND grain = @Grain AND period = @Period AND k1 = @K1 AND k2 = @K2 AND k3 = @K3";
    private const string InsertRowSql =
        """
        INSERT INTO trend_facts (kind, slice_id, grain, period, k1, k2, k3, c0, c1, c2, c3, c4, c5, c6, c7, c8)
        VALUES (@Kind, @Slice, @Grain, @Period, @K1, @K2, @K3, @C0, @C1, @C2, @C3, @C4, @C5, @C6, @C7, @C8)
        """;

    /// <summary>
    /// Adds (sign +1) or subtracts (sign −1) the contribution of the live report <paramref name="reportId"/>:
    /// every fact × period (week, month, quarter) × slice. Inside a writer batch the deltas are staged and summed
    /// (<see cref="PendingFacts"/>) and applied once before the batch commits; outside one they are applied now,
    /// through the same prepared statements.
    /// A row that drops to zero stays (c0 = 0) until the next rebuild; readers skip it.
    /// </summary>
    public static void Apply(SqliteConnection c, SqliteTransaction t, long reportId, int sign)
    {
        var snapshot = Load(c, t, "r.id = @id", new Dictionary<string, object?> { ["id"] = reportId }).SingleOrDefault();
        if (snapshot is null) return; // deleted or missing: contributes nothing
        Apply(c, t, snapshot, sign);
    }

    /// <summary>
    /// As <see cref="Apply(SqliteConnection, SqliteTransaction, long, int)"/> for a live report the caller has in hand
    /// (just written): what <see cref="Load"/> would read back, without reading it.
    /// </summary>
    public static void Apply(SqliteConnection c, SqliteTransaction t, ReportSnapshot snapshot, int sign)
    {
        // On the writer's hot path committed slices come from memory (KnownSlices); new ones become known at COMMIT.
        var batch = WriteBatch.Current;
        var slices = batch is null
            ? SliceIds(c, t, snapshot, KnownSlices.None, static (_, _) => { })
            : SliceIds(c, t, snapshot, KnownSlices.For(c), batch.State<KnownSlices>().Stage);
        var pending = batch?.State<PendingFacts>() ?? new PendingFacts();
        var facts = Facts(snapshot); // the same for every grain: computed once
        foreach (var (letter, granularity) in Grains)
        {
            var period = Statistics.PeriodLabel(snapshot.ClosedOn, granularity);
            foreach (var fact in facts)
                foreach (var slice in fact.InEverySlice && letter == SliceGrain ? (IReadOnlyList<long>)slices : SliceZero)
                    pending.Stage(new FactKey(fact.Kind, slice, letter, period, fact.K1, fact.K2, fact.K3), fact.C, sign);
        }
        if (batch is null)
        {
            pending.JobSucceeded();
            pending.Flush(c, t);
        }
    }

    /// <summary>Drops deltas staged in this batch (a rebuild recomputes everything from the reports instead).</summary>
    public static void DiscardPending() => WriteBatch.Current?.State<PendingFacts>().Discard();

    /// <summary>
    /// Fact deltas of one writer batch: staged per job (dropped if the job rolls back), summed per key, applied
    /// before COMMIT. Reports filed together share their periods, slices and most keys, so a batch of n reports
    /// touches far fewer than n × (rows per report) aggregate rows.
    /// </summary>
    public sealed class PendingFacts : BatchState
    {
        private readonly Dictionary<FactKey, long[]> _job = new();
        private readonly Dictionary<FactKey, long[]> _batch = new();

        public void Stage(FactKey key, long[] counters, int sign)
        {
            var staged = StagePerJob ? _job : _batch; // one dictionary pass less per fact when jobs cannot fail alone
            if (!staged.TryGetValue(key, out var sum)) staged[key] = sum = new long[Counters];
            for (var i = 0; i < Counters; i++) sum[i] += sign * counters[i];
        }

        public void Discard() { _job.Clear(); _batch.Clear(); }

        protected internal override void JobSucceeded()
        {
            foreach (var (key, delta) in _job)
            {
                if (!_batch.TryGetValue(key, out var sum)) { _batch[key] = delta; continue; }
                for (var i = 0; i < Counters; i++) sum[i] += delta[i];
            }
            _job.Clear();
        }

        protected internal override void JobFailed() => _job.Clear();

        protected internal override void BeforeCommit(SqliteConnection c, SqliteTransaction t) => Flush(c, t);

        public void Flush(SqliteConnection c, SqliteTransaction t)
        {
            // Distinct reps: a rep row whose deal count crosses zero (before = after − delta) moves the rep count
            // of its period, category and competitor by one.
            var moved = new Dictionary<FactKey, long[]>();
            foreach (var (key, delta) in _batch)
            {
                if (Array.TrueForAll(delta, v => v == 0)) continue;
                if (key.Kind != Kinds.ObjectionRep) { Add(c, t, key, delta); continue; }
                var after = Add(c, t, key, delta, countAfter: true);
                var change = (after - delta[0] <= 0, after <= 0) switch { (true, false) => 1, (false, true) => -1, _ => 0 };
                if (change == 0) continue;
                var reps = key with { Kind = Kinds.ObjectionReps, K3 = "" };
                if (!moved.TryGetValue(reps, out var sum)) moved[reps] = sum = new long[Counters];
                sum[0] += change;
            }
            _batch.Clear();
            foreach (var (key, delta) in moved) Add(c, t, key, delta);
        }
    }

    /// <summary>
    /// Adds the counters to the fact row of <paramref name="key"/>, creating the row when there is none; with
    /// <paramref name="countAfter"/>, returns the row's c0 after the change (else 0).
    /// </summary>
    private static long Add(SqliteConnection c, SqliteTransaction t, FactKey key, long[] v, bool countAfter = false)
    {
        var row = new
        {
            key.Kind, key.Slice, Grain = GrainText(key.Grain), key.Period, key.K1, key.K2, key.K3,
            C0 = v[0], C1 = v[1], C2 = v[2], C3 = v[3], C4 = v[4], C5 = v[5], C6 = v[6], C7 = v[7], C8 = v[8],
        };
        // Most rows exist already (the periods and slices of recent reports): update first, insert when there is none.
        if (c.Exec(t, AddToRowSql, row) == 0)
        {
            c.Exec(t, InsertRowSql, row);
            return countAfter ? row.C0 : 0;
        }
        return countAfter ? c.Scalar<long>(t, RowCountSql, row) : 0;
    }

    private static string GrainText(char grain) => grain switch { 'W' => "W", 'M' => "M", _ => "Q" };

    // ---------------------------------------------------------------- rebuild

    /// <summary>Sums contributions in memory (rebuild, and trend queries answered from the reports).</summary>
    public sealed class Aggregator
    {
        public Dictionary<FactKey, long[]> Rows { get; } = new();

        public void Add(ReportSnapshot snapshot, IReadOnlyList<long> slices, IReadOnlyList<(char Letter, Granularity Granularity)> grains)
        {
            var facts = Facts(snapshot);
            foreach (var (letter, granularity) in grains)
            {
                var period = Statistics.PeriodLabel(snapshot.ClosedOn, granularity);
                foreach (var fact in facts)
                    foreach (var slice in fact.InEverySlice && letter == SliceGrain ? slices : SliceZero)
                    {
                        var key = new FactKey(fact.Kind, slice, letter, period, fact.K1, fact.K2, fact.K3);
                        if (!Rows.TryGetValue(key, out var sum)) Rows[key] = sum = new long[Counters];
                        for (var i = 0; i < Counters; i++) sum[i] += fact.C[i];
                    }
            }
        }

        /// <summary>Derives the distinct-rep counts from the rep rows.</summary>
        public void CountReps()
        {
            var reps = new Dictionary<FactKey, long[]>();
            foreach (var key in Rows.Keys)
            {
                if (key.Kind != Kinds.ObjectionRep) continue;
                var summary = key with { Kind = Kinds.ObjectionReps, K3 = "" };
                if (!reps.TryGetValue(summary, out var sum)) reps[summary] = sum = new long[Counters];
                sum[0]++;
            }
            foreach (var (key, value) in reps) Rows[key] = value;
        }
    }

    private const string InsertSql =
        """
        INSERT INTO trend_facts (kind, slice_id, grain, period, k1, k2, k3, c0, c1, c2, c3, c4, c5, c6, c7, c8)
        VALUES (@kind, @slice, @grain, @period, @k1, @k2, @k3, @c0, @c1, @c2, @c3, @c4, @c5, @c6, @c7, @c8)
        """;

    /// <summary>
    /// Recomputes the whole read model from the live reports, inside the caller's (writer) transaction.
    /// Reads reports in chunks of <paramref name="chunk"/>; returns the number of reports counted.
    /// </summary>
    public static long Rebuild(SqliteConnection c, SqliteTransaction t, int chunk = 50_000)
    {
        DiscardPending(); // earlier jobs of this batch are already in the reports the rebuild reads
        c.Execute("DELETE FROM trend_facts", transaction: t);
        var aggregator = new Aggregator();
        var sliceCache = new Dictionary<(string, string), long>();
        Action<(string, string), long> remember = (key, id) => sliceCache[key] = id;
        long last = 0, count = 0;
        while (true)
        {
            var batch = Load(c, t, "r.id > @lo AND r.id <= @hi", new Dictionary<string, object?> { ["lo"] = last, ["hi"] = last + chunk });
            var maxId = c.ExecuteScalar<long?>("SELECT MAX(id) FROM reports", transaction: t) ?? 0;
            foreach (var snapshot in batch) aggregator.Add(snapshot, SliceIds(c, t, snapshot, sliceCache, remember), Grains);
            count += batch.Count;
            last += chunk;
            if (last >= maxId) break;
        }
        aggregator.CountReps();

        using var insert = c.CreateCommand();
        insert.Transaction = t;
        insert.CommandText = InsertSql;
        var keys = new[] { "@kind", "@slice", "@grain", "@period", "@k1", "@k2", "@k3" }.Select(n => insert.Parameters.Add(new SqliteParameter(n, null))).ToArray();
        var counters = Enumerable.Range(0, Counters).Select(i => insert.Parameters.Add(new SqliteParameter("@c" + i, 0L))).ToArray();
        foreach (var (key, sum) in aggregator.Rows)
        {
            if (sum.All(v => v == 0)) continue;
            keys[0].Value = key.Kind; keys[1].Value = key.Slice; keys[2].Value = key.Grain.ToString(); keys[3].Value = key.Period;
            keys[4].Value = key.K1; keys[5].Value = key.K2; keys[6].Value = key.K3;
            for (var i = 0; i < Counters; i++) counters[i].Value = sum[i];
            insert.ExecuteNonQuery();
        }
        return count;
    }
}
