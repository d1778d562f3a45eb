using System.Data.Common;
using System.Globalization;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// Live buyer feedback on the read side (what the calibration report needs: the deal, when, the buyer's outcome and
/// ranked reasons). Deleted feedback has no rows. Fed by <see cref="BuyerFeedbackEvents.Changed"/> in every write.
/// </summary>
public sealed class BuyerFeedbackProjection : Projection
{
    public override string Entity => BuyerFeedbackEvents.Entity;

    public override string Schema =>
        """
        CREATE TABLE buyer_feedback (id BIGINT NOT NULL, deal_id VARCHAR NOT NULL, source VARCHAR NOT NULL, interviewed_on DATE NOT NULL,
            outcome VARCHAR NOT NULL, interviewee_role VARCHAR NOT NULL);
        CREATE TABLE buyer_feedback_reasons (feedback_id BIGINT NOT NULL, rank INTEGER NOT NULL, category VARCHAR NOT NULL);
        """;

    private const string FeedbackSql =
        "SELECT f.id, f.deal_id, f.source, f.interviewed_on, f.outcome, f.interviewee_role FROM buyer_feedback f WHERE f.deleted_at IS NULL AND ({0})";
    private const string ReasonsSql =
        "SELECT x.feedback_id, x.rank, x.category FROM buyer_feedback_reasons x JOIN buyer_feedback f ON f.id = x.feedback_id WHERE f.deleted_at IS NULL AND ({0})";

    public override void Replace(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, IReadOnlyList<long> ids)
    {
        foreach (var chunk in ids.Chunk(5_000))
        {
            var list = string.Join(",", chunk.Select(id => id.ToString(CultureInfo.InvariantCulture)));
            target.Execute($"DELETE FROM buyer_feedback WHERE id IN ({list})");
            target.Execute($"DELETE FROM buyer_feedback_reasons WHERE feedback_id IN ({list})");
            Copy(source, sourceTransaction, target, $"f.id IN ({list})");
        }
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
        using (var appender = target.CreateAppender("buyer_feedback"))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, FeedbackSql, where), transaction: tx))
            while (reader.Read())
            {
                appender.CreateRow().AppendValue(reader.GetInt64(0)).AppendValue(reader.GetString(1)).AppendValue(reader.GetString(2))
                    .AppendValue(DateOnly.ParseExact(reader.GetString(3), "yyyy-MM-dd", CultureInfo.InvariantCulture))
                    .AppendValue(reader.GetString(4)).AppendValue(reader.GetString(5)).EndRow();
                n++;
            }
        using (var appender = target.CreateAppender("buyer_feedback_reasons"))
        using (var reader = source.ExecuteReader(string.Format(CultureInfo.InvariantCulture, ReasonsSql, where), transaction: tx))
            while (reader.Read())
                appender.CreateRow().AppendValue(reader.GetInt64(0)).AppendValue((int)reader.GetInt64(1)).AppendValue(reader.GetString(2)).EndRow();
        return n;
    }
}
