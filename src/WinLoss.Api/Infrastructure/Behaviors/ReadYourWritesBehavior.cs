using Mediator;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Infrastructure.Behaviors;

/// <summary>
/// After a command (every state change is one), wakes the read side's projector so the change reaches the projection
/// within milliseconds. The answer does not wait for it: read-your-writes is kept at read time instead — every query
/// first applies whatever was committed before it (<see cref="ReadStore.ConnectAsync"/>), so a caller who files a report
/// and then reads a trend sees it, while filing stays as cheap as the write itself (docs/read-side.md).
/// </summary>
public sealed class ReadYourWritesBehavior<TMessage, TResponse>(ReadStore readStore)
    : IPipelineBehavior<TMessage, TResponse> where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is not IBaseCommand) return await next(message, cancellationToken);
        try
        {
            return await next(message, cancellationToken);
        }
        finally
        {
            readStore.Nudge();
        }
    }
}
