using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// Called inside the write transaction of every change to buyer feedback, so the read side can follow it.
/// (Until the read side lands this records nothing.)
/// </summary>
public static class BuyerFeedbackEvents
{
    public const string Entity = "buyer_feedback";

#pragma warning disable IDE0060 // parameters used once the read side's change log is wired in
    public static void Changed(SqliteConnection c, SqliteTransaction t, long feedbackId)
    {
    }
#pragma warning restore IDE0060
}
