using System.Data.Common;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>Called inside the write transaction of every change to buyer feedback, so the read side follows it.</summary>
public static class BuyerFeedbackEvents
{
    public const string Entity = "buyer_feedback";

    public static void Changed(DbConnection c, DbTransaction t, long feedbackId) => ChangeLog.Record(c, t, Entity, feedbackId);
}
