using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Every live report and its child rows on the read side, with competitors as the taxonomy resolves them now
/// (competitor_key: 'c&lt;id&gt;' a catalogue competitor, 'u&lt;normalized&gt;' an unmatched name, '' none).
/// Free-text filter dimensions carry a *_key column, ASCII-lower-cased (filters ignore case, as before).
/// Deleted reports have no rows.
/// </summary>
public sealed class ReportProjection : Projection
{
    public override string Entity => ChangeLog.Report;

    public override string Schema =>
        """
        CREATE TABLE reports (
            id BIGINT NOT NULL, deal_id VARCHAR NOT NULL, rep_id BIGINT NOT NULL, outcome VARCHAR NOT NULL, closed_on DATE NOT NULL,
            amount_cents BIGINT, currency VARCHAR, segment VARCHAR, stage VARCHAR,
            region VARCHAR, region_key VARCHAR, industry VARCHAR, industry_key VARCHAR, product VARCHAR, product_key VARCHAR,
            lead_source VARCHAR, lead_quality INTEGER, primary_competitor VARCHAR NOT NULL,
            version INTEGER NOT NULL, created_at VARCHAR NOT NULL, updated_at VARCHAR NOT NULL
        );
        CREATE TABLE report_competitors (report_id BIGINT NOT NULL, position INTEGER NOT NULL, name VARCHAR NOT NULL,
            competitor_key VARCHAR NOT NULL, competitor_id BIGINT, is_primary BOOLEAN NOT NULL);
        CREATE TABLE report_reasons (report_id BIGINT NOT NULL, position INTEGER NOT NULL, category VARCHAR NOT NULL,
            is_primary BOOLEAN NOT NULL, has_detail BOOLEAN NOT NULL);
        CREATE TABLE report_objections (report_id BIGINT NOT NULL, position INTEGER NOT NULL, category VARCHAR NOT NULL,
            competitor_name VARCHAR, competitor_key VARCHAR NOT NULL, competitor_id BIGINT, overcome BOOLEAN NOT NULL, has_text BOOLEAN NOT NULL);
        CREATE TABLE report_messages (report_id BIGINT NOT NULL, position INTEGER NOT NULL, message_id VARCHAR NOT NULL, resonance VARCHAR NOT NULL);
        CREATE TABLE report_collateral (report_id BIGINT NOT NULL, position INTEGER NOT NULL, collateral_id VARCHAR NOT NULL);
        """ + TrendTables.Schema;

    private static readonly string[] ChildTables =
        ["report_competitors", "report_reasons", "report_objections", "report_messages", "report_collateral", .. TrendTables.Names];

    // Source queries on the write store; {0} is the condition on alias r. Rows come in report order so a report's
    // primary competitor can be worked out while its competitor rows stream by.
    private const string ReportsSql =
        """
        SELECT r.id, r.deal_id, r.rep_id, r.outcome, r.closed_on, r.amount_cents, r.currency, r.segment, r.stage_reached,
               r.region, r.industry, r.product, r.lead_source, r.lead_quality, r.version, r.created_at, r.updated_at,
               (SELECT CASE WHEN x.competitor_id IS NOT NULL THEN 'c' || x.competitor_id ELSE 'u' || x.normalized END
                FROM report_competitors x WHERE x.report_id = r.id AND x.is_primary = 1 AND (x.competitor_id IS NOT NULL OR x.normalized <> '')
                ORDER BY x.position LIMIT 1) AS primary_key
        FROM reports r WHERE r.deleted_at IS NULL AND ({0}) ORDER BY r.id
        """;
    private const string CompetitorsSql =
        "SELECT x.report_id, x.position, x.name, x.normalized, x.competitor_id, x.is_primary FROM report_competitors x JOIN reports r ON r.id = x.report_id WHERE r.deleted_at IS NULL AND ({0})";
    private const string ReasonsSql =
        "SELECT x.report_id, x.position, x.category, x.is_primary, CASE WHEN x.detail IS NOT NULL AND trim(x.detail) <> '' THEN 1 ELSE 0 END FROM report_reasons x JOIN reports r ON r.id = x.report_id WHERE r.deleted_at IS NULL AND ({0})";
    private const string ObjectionsSql =
        "SELECT x.report_id, x.position, x.category, x.competitor_normalized, x.competitor_id, x.overcome, x.competitor, CASE WHEN x.text IS NOT NULL AND trim(x.text) <> '' THEN 1 ELSE 0 END FROM report_objections x JOIN reports r ON r.id = x.report_id WHERE r.deleted_at IS NULL AND ({0})";
    private const string MessagesSql =
        "SELECT x.report_id, x.position, x.message_id, x.resonance FROM report_messages x JOIN reports r ON r.id = x.report_id WHERE r.deleted_at IS NULL AND ({0})";
    private const string CollateralSql =
        "SELECT x.report_id, x.position, x.collateral_id FROM report_collateral x JOIN reports r ON r.id = x.report_id WHERE r.deleted_at IS NULL AND ({0})";


    /// <summary>
    /// The highest report id with rows on the read side (null: not known yet, asked on first use). Newly filed reports
    /// have higher ids, so their replacement needs no DELETE: most changes under intake are exactly those.
    /// </summary>
    private long? _maxProjected;

    public override void Replace(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, IReadOnlyList<long> ids)
    {
        _maxProjected ??= target.ExecuteScalar<long?>("SELECT max(id) FROM reports") ?? 0;
        foreach (var chunk in ids.Chunk(5_000))
        {
            var list = string.Join(",", chunk.Select(id => id.ToString(CultureInfo.InvariantCulture)));
            if (chunk.Min() <= _maxProjected)
            {
                target.Execute($"DELETE FROM reports WHERE id IN ({list})");
                foreach (var table in ChildTables) target.Execute($"DELETE FROM {table} WHERE report_id IN ({list})");
            }
            var dialect = Dialect.Of(source);
            var args = new DynamicParameters();
            args.Add("ids", dialect.Ids(chunk));
            Copy(source, sourceTransaction, target, dialect.InIds("r.id", "ids"), args, _ => { });
            foreach (var statement in TrendTables.Derive($"report_id IN ({list})", $"id IN ({list})")) target.Execute(statement);
            _maxProjected = Math.Max(_maxProjected.Value, chunk.Max());
        }
    }

    public override long Rebuild(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, Action<long> progress)
    {
        _maxProjected = null; // a new database: asked again on first use
        // Compressed as it goes (a checkpoint every RebuildBatch rows of each table, and after each step): the uncompressed
        // rows of one batch at a time, not of a whole table (at 10M reports that held over 4 GB at its peak).
        var count = Copy(source, sourceTransaction, target, "1 = 1", new DynamicParameters(), progress, RebuildBatch);
        // The trend tables one calendar year of close dates at a time, in close-date order (the joins and sorts of a year at a
        // time; the tables stay in close-date order across years).
        var years = target.Query<int>("SELECT DISTINCT year(closed_on)::INTEGER FROM reports ORDER BY 1").ToList();
        foreach (var year in years)
        {
            var inYear = string.Create(CultureInfo.InvariantCulture, $"closed_on >= DATE '{year:D4}-01-01' AND closed_on < DATE '{year + 1:D4}-01-01'");
            foreach (var statement in TrendTables.Derive($"report_id IN (SELECT id FROM reports WHERE {inYear})", inYear))
            {
                target.Execute(statement);
                target.Execute("CHECKPOINT");
            }
        }
        return count;
    }

    /// <summary>Rows appended between checkpoints while rebuilding.</summary>
    private const int RebuildBatch = 1_000_000;

    /// <summary>
    /// An appender to one table; with <paramref name="checkpointEvery"/> (a rebuild) it is closed and the catalog
    /// checkpointed every that many rows and at the end, which compresses what was appended.
    /// </summary>
    private sealed class Batches(DuckDBConnection target, string table, int? checkpointEvery) : IDisposable
    {
        private DuckDBAppender _appender = target.CreateAppender(table);
        private long _rows;

        /// <summary>The appender for the next row.</summary>
        public DuckDBAppender Next()
        {
            if (checkpointEvery is { } n && _rows > 0 && _rows % n == 0)
            {
                _appender.Dispose();
                target.Execute("CHECKPOINT");
                _appender = target.CreateAppender(table);
            }
            _rows++;
            return _appender;
        }

        public void Dispose()
        {
            _appender.Dispose();
            if (checkpointEvery is not null) target.Execute("CHECKPOINT");
        }
    }

    private static long Copy(DbConnection source, DbTransaction tx, DuckDBConnection target, string where, DynamicParameters args, Action<long> progress,
        int? checkpointEvery = null)
    {
        long count = 0;
        using (var appender = new Batches(target, "reports", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, ReportsSql, where), args, tx))
        {
            while (reader.Read())
            {
                var row = appender.Next().CreateRow()
                    .AppendValue(reader.GetInt64(0)).AppendValue(reader.GetString(1)).AppendValue(reader.GetInt64(2)).AppendValue(reader.GetString(3))
                    .AppendValue(DateOnly.ParseExact(reader.GetString(4), "yyyy-MM-dd", CultureInfo.InvariantCulture))
                    .AppendValue(Long(reader, 5)).AppendValue(Str(reader, 6)).AppendValue(Str(reader, 7)).AppendValue(Str(reader, 8));
                foreach (var i in new[] { 9, 10, 11 })
                {
                    var text = Str(reader, i);
                    row.AppendValue(text).AppendValue(text is null ? null : Fold(text));
                }
                row.AppendValue(Str(reader, 12)).AppendValue(reader.IsDBNull(13) ? null : (int?)reader.GetInt64(13))
                    .AppendValue(Str(reader, 17) ?? CompetitorKey.None)
                    .AppendValue((int)reader.GetInt64(14)).AppendValue(reader.GetString(15)).AppendValue(reader.GetString(16))
                    .EndRow();
                if (++count % 50_000 == 0) progress(count);
            }
        }
        progress(count);

        using (var appender = new Batches(target, "report_competitors", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, CompetitorsSql, where), args, tx))
            while (reader.Read())
            {
                var competitorId = Long(reader, 4);
                appender.Next().CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2))
                    .AppendValue(CompetitorKey.Of(competitorId, reader.GetString(3))).AppendValue(competitorId).AppendValue(reader.GetInt64(5) != 0).EndRow();
            }
        using (var appender = new Batches(target, "report_reasons", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, ReasonsSql, where), args, tx))
            while (reader.Read())
                appender.Next().CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2))
                    .AppendValue(reader.GetInt64(3) != 0).AppendValue(reader.GetInt64(4) != 0).EndRow();
        using (var appender = new Batches(target, "report_objections", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, ObjectionsSql, where), args, tx))
            while (reader.Read())
            {
                var competitorId = Long(reader, 4);
                appender.Next().CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2))
                    .AppendValue(Str(reader, 6)).AppendValue(CompetitorKey.Of(competitorId, Str(reader, 3))).AppendValue(competitorId)
                    .AppendValue(reader.GetInt64(5) != 0).AppendValue(reader.GetInt64(7) != 0).EndRow();
            }
        using (var appender = new Batches(target, "report_messages", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, MessagesSql, where), args, tx))
            while (reader.Read())
                appender.Next().CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2)).AppendValue(reader.GetString(3)).EndRow();
        using (var appender = new Batches(target, "report_collateral", checkpointEvery))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, CollateralSql, where), args, tx))
            while (reader.Read())
                appender.Next().CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2)).EndRow();
        return count;
    }

    private static string? Str(System.Data.IDataRecord r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static long? Long(System.Data.IDataRecord r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    /// <summary>Case folding for free-text filter values; ASCII only, the same as SQLite's NOCASE.</summary>
    public static string Fold(string value) => string.Create(value.Length, value, (span, v) =>
    {
        for (var i = 0; i < v.Length; i++) span[i] = v[i] is >= 'A' and <= 'Z' ? (char)(v[i] + 32) : v[i];
    });
}

/// <summary>Users on the read side (rep → team), so trends can group and filter by team.</summary>
public sealed class UserProjection : Projection
{
    public override string Entity => ChangeLog.User;

    public override string Schema => "CREATE TABLE users (id BIGINT NOT NULL, display_name VARCHAR NOT NULL, role VARCHAR NOT NULL, team VARCHAR, region VARCHAR);";

    private const string UsersSql = "SELECT id, display_name, role, team, region FROM users WHERE {0}";

    public override void Replace(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, IReadOnlyList<long> ids)
    {
        var list = string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        target.Execute($"DELETE FROM users WHERE id IN ({list})");
        Copy(source, sourceTransaction, target, $"id IN ({list})");
    }

    public override long Rebuild(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, Action<long> progress)
    {
        var n = Copy(source, sourceTransaction, target, "1 = 1");
        progress(n);
        return n;
    }

    private static long Copy(DbConnection source, DbTransaction tx, DuckDBConnection target, string where)
    {
        long n = 0;
        using var appender = target.CreateAppender("users");
        using var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, UsersSql, where), transaction: tx);
        while (reader.Read())
        {
            appender.CreateRow().AppendValue(reader.GetInt64(0)).AppendValue(reader.GetString(1)).AppendValue(reader.GetString(2))
                .AppendValue(reader.IsDBNull(3) ? null : reader.GetString(3)).AppendValue(reader.IsDBNull(4) ? null : reader.GetString(4)).EndRow();
            n++;
        }
        return n;
    }
}
