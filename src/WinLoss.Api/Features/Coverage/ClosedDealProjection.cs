using System.Data.Common;
using System.Globalization;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// Closed deals on the read side, for coverage. <c>imported_report_id</c> is the deal's CRM history import (a report
/// that is not a rep's report); coverage joins <c>reports</c> on deal_id and counts a report only when it is not that one.
/// Free-text filter values carry *_key columns folded like the report projection's.
/// </summary>
public sealed class ClosedDealProjection : Projection
{
    public const string EntityName = "closed_deal";

    public override string Entity => EntityName;

    public override string Schema =>
        """
        CREATE TABLE closed_deals (
            id BIGINT NOT NULL, deal_id VARCHAR NOT NULL, outcome VARCHAR NOT NULL, closed_on DATE NOT NULL, rep_id BIGINT NOT NULL,
            segment VARCHAR, region_key VARCHAR, product_key VARCHAR, imported_report_id BIGINT
        );
        """;

    private const string SourceSql =
        """
        SELECT d.id, d.deal_id, d.outcome, d.closed_on, d.rep_id, d.segment, d.region, d.product, i.report_id
        FROM closed_deals d LEFT JOIN crm_import_deals i ON i.deal_id = d.deal_id
        WHERE {0}
        """;

    public override void Replace(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, IReadOnlyList<long> ids)
    {
        foreach (var chunk in ids.Chunk(5_000))
        {
            var list = string.Join(",", chunk.Select(id => id.ToString(CultureInfo.InvariantCulture)));
            target.Execute($"DELETE FROM closed_deals WHERE id IN ({list})");
            Copy(source, sourceTransaction, target, $"d.id IN ({list})", _ => { });
        }
    }

    public override long Rebuild(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, Action<long> progress) =>
        Copy(source, sourceTransaction, target, "1 = 1", progress);

    private static long Copy(DbConnection source, DbTransaction tx, DuckDBConnection target, string where, Action<long> progress)
    {
        long count = 0;
        using var appender = target.CreateAppender("closed_deals");
        using var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, SourceSql, where), transaction: tx);
        while (reader.Read())
        {
            string? Str(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var region = Str(6);
            var product = Str(7);
            appender.CreateRow()
                .AppendValue(reader.GetInt64(0)).AppendValue(reader.GetString(1)).AppendValue(reader.GetString(2))
                .AppendValue(DateOnly.ParseExact(reader.GetString(3), "yyyy-MM-dd", CultureInfo.InvariantCulture))
                .AppendValue(reader.GetInt64(4)).AppendValue(Str(5))
                .AppendValue(region is null ? null : ReportProjection.Fold(region)).AppendValue(product is null ? null : ReportProjection.Fold(product))
                .AppendValue(reader.IsDBNull(8) ? null : (long?)reader.GetInt64(8))
                .EndRow();
            if (++count % 50_000 == 0) progress(count);
        }
        progress(count);
        return count;
    }
}
