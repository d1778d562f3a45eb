using System.Globalization;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// The read-side tables the trends scan (DuckDB), derived from the projected reports and their child rows
/// (<see cref="Reports.ReportProjection"/>): one flat table per kind of fact, each row carrying the columns every filter
/// and bucket needs, so a trend is a scan of one narrow table with no join (docs/read-side.md "Trend tables").
/// <para>
/// Deal columns, on every table: report_id, closed_on; the bucket of each granularity as an integer (p_week = ISO
/// week-year × 100 + ISO week, p_month = year × 100 + month, p_quarter = year × 10 + quarter); outcome as a code
/// (0 won, 1 lost, 2 no_decision); segment, stage and the case-folded region, product and industry keys; cents (0
/// without an amount) and cur (the currency, '' without an amount). Rows are inserted in close-date order, so a cut
/// period skips whole row groups.
/// </para>
/// </summary>
public static class TrendTables
{
    /// <summary>Outcome codes, in the order of the deal counters (c1 won, c2 lost, c3 no decision).</summary>
    public static readonly string[] Outcomes = ["won", "lost", "no_decision"];

    /// <summary>Resonance codes, in the order of the message counters (c1 resonated, c2 neutral, c3 fell flat).</summary>
    public static readonly string[] Resonances = ["resonated", "neutral", "fell_flat"];

    private const string DealDdl =
        "report_id BIGINT NOT NULL, closed_on DATE NOT NULL, p_week INTEGER NOT NULL, p_month INTEGER NOT NULL, p_quarter INTEGER NOT NULL, " +
        "outcome UTINYINT NOT NULL, segment VARCHAR, stage VARCHAR, region_key VARCHAR, product_key VARCHAR, industry_key VARCHAR, " +
        "cents BIGINT NOT NULL, cur VARCHAR NOT NULL";

    private const string DealColumns = "report_id, closed_on, p_week, p_month, p_quarter, outcome, segment, stage, region_key, product_key, industry_key, cents, cur";

    /// <summary>The deal columns of alias <paramref name="alias"/>.</summary>
    private static string Of(string alias) => string.Join(", ", DealColumns.Split(", ").Select(c => alias + "." + c));

    public static readonly string[] Names =
    [
        "trend_deals", "trend_competitors", "trend_reasons", "trend_competitor_reasons", "trend_objections", "trend_messages",
        "trend_competitor_messages", "trend_collateral",
    ];

    /// <summary>DDL of the trend tables.</summary>
    public static readonly string Schema = $$"""

        -- Every live report.
        CREATE TABLE trend_deals ({{DealDdl}}, rep_id BIGINT NOT NULL, lead_source VARCHAR, lead_quality INTEGER, primary_competitor VARCHAR NOT NULL);
        -- Each distinct competitor a deal names ('' once when it names none).
        CREATE TABLE trend_competitors ({{DealDdl}}, competitor_key VARCHAR NOT NULL);
        -- Each distinct reason category of a deal (primary when any of its rows is), and the same per competitor of the deal.
        CREATE TABLE trend_reasons ({{DealDdl}}, category VARCHAR NOT NULL, is_primary BOOLEAN NOT NULL);
        CREATE TABLE trend_competitor_reasons ({{DealDdl}}, competitor_key VARCHAR NOT NULL, category VARCHAR NOT NULL, is_primary BOOLEAN NOT NULL);
        -- Objections per deal and category: once over all its objections (competitor_key '*'), once per competitor they name.
        CREATE TABLE trend_objections ({{DealDdl}}, rep_id BIGINT NOT NULL, competitor_key VARCHAR NOT NULL, category VARCHAR NOT NULL,
            mentions INTEGER NOT NULL, overcome INTEGER NOT NULL);
        -- Each distinct message of a deal with its first resonance (0 resonated, 1 neutral, 2 fell flat), and the same per competitor.
        CREATE TABLE trend_messages ({{DealDdl}}, message_id VARCHAR NOT NULL, resonance UTINYINT NOT NULL);
        CREATE TABLE trend_competitor_messages ({{DealDdl}}, competitor_key VARCHAR NOT NULL, message_id VARCHAR NOT NULL, resonance UTINYINT NOT NULL);
        -- Each distinct collateral item a deal used.
        CREATE TABLE trend_collateral ({{DealDdl}}, collateral_id VARCHAR NOT NULL);
        """;

    private static readonly string DeriveSql = $$"""
        INSERT INTO trend_deals
            SELECT id, closed_on, (isoyear(closed_on) * 100 + week(closed_on))::INTEGER, (year(closed_on) * 100 + month(closed_on))::INTEGER,
                   (year(closed_on) * 10 + quarter(closed_on))::INTEGER,
                   CASE outcome WHEN 'won' THEN 0 WHEN 'lost' THEN 1 ELSE 2 END, segment, stage, region_key, product_key, industry_key,
                   COALESCE(amount_cents, 0), CASE WHEN amount_cents IS NULL THEN '' ELSE COALESCE(currency, '') END,
                   rep_id, lead_source, lead_quality, primary_competitor
            FROM reports WHERE {1} ORDER BY closed_on, id;
        INSERT INTO trend_competitors
            SELECT {{Of("d")}}, k.competitor_key
            FROM (SELECT DISTINCT report_id, competitor_key FROM report_competitors WHERE competitor_key <> '' AND {0}
                  UNION ALL
                  SELECT id, '' FROM reports r WHERE {1}
                  AND NOT EXISTS (SELECT 1 FROM report_competitors x WHERE x.report_id = r.id AND x.competitor_key <> '')) k
            JOIN (SELECT * FROM trend_deals WHERE {0}) d ON d.report_id = k.report_id ORDER BY d.closed_on, d.report_id;
        INSERT INTO trend_reasons
            SELECT {{Of("d")}}, k.category, k.is_primary
            FROM (SELECT report_id, category, bool_or(is_primary) AS is_primary FROM report_reasons WHERE {0} GROUP BY report_id, category) k
            JOIN (SELECT * FROM trend_deals WHERE {0}) d ON d.report_id = k.report_id ORDER BY d.closed_on, d.report_id;
        INSERT INTO trend_competitor_reasons
            SELECT {{Of("c")}}, c.competitor_key, k.category, k.is_primary
            FROM (SELECT * FROM trend_reasons WHERE {0}) k
            JOIN (SELECT * FROM trend_competitors WHERE {0}) c ON c.report_id = k.report_id ORDER BY c.closed_on, c.report_id;
        INSERT INTO trend_objections
            SELECT {{Of("d")}}, d.rep_id, o.competitor_key, o.category, o.mentions, o.overcome
            FROM (SELECT report_id, '*' AS competitor_key, category, count(*)::INTEGER AS mentions, sum(overcome::INTEGER)::INTEGER AS overcome
                  FROM report_objections WHERE {0} GROUP BY report_id, category
                  UNION ALL
                  SELECT report_id, competitor_key, category, count(*)::INTEGER, sum(overcome::INTEGER)::INTEGER
                  FROM report_objections WHERE competitor_key <> '' AND {0} GROUP BY report_id, competitor_key, category) o
            JOIN (SELECT * FROM trend_deals WHERE {0}) d ON d.report_id = o.report_id ORDER BY d.closed_on, d.report_id;
        INSERT INTO trend_messages
            SELECT {{Of("d")}}, m.message_id, CASE m.resonance WHEN 'resonated' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END
            FROM (SELECT report_id, message_id, arg_min(resonance, position) AS resonance FROM report_messages WHERE {0} GROUP BY report_id, message_id) m
            JOIN (SELECT * FROM trend_deals WHERE {0}) d ON d.report_id = m.report_id ORDER BY d.closed_on, d.report_id;
        INSERT INTO trend_competitor_messages
            SELECT {{Of("c")}}, c.competitor_key, m.message_id, m.resonance
            FROM (SELECT * FROM trend_messages WHERE {0}) m
            JOIN (SELECT * FROM trend_competitors WHERE {0}) c ON c.report_id = m.report_id ORDER BY c.closed_on, c.report_id;
        INSERT INTO trend_collateral
            SELECT {{Of("d")}}, x.collateral_id
            FROM (SELECT DISTINCT report_id, collateral_id FROM report_collateral WHERE {0}) x
            JOIN (SELECT * FROM trend_deals WHERE {0}) d ON d.report_id = x.report_id ORDER BY d.closed_on, d.report_id;
        """;

    /// <summary>
    /// The statements filling the trend tables, in order, from the projected rows of some reports (their old trend rows
    /// deleted first): <paramref name="byReportId"/> selects them by a report_id column, <paramref name="byId"/> by the id
    /// of reports.
    /// </summary>
    public static IEnumerable<string> Derive(string byReportId, string byId) =>
        string.Format(CultureInfo.InvariantCulture, DeriveSql, byReportId, byId).Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
