using Mediator;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Infrastructure.Behaviors;

/// <summary>
/// After a command (every state change is one), applies the changes it committed to the read side before the answer
/// goes out, so a caller who files a report and then reads a trend sees it (read-your-writes). Runs also when the
/// command failed: an import that committed part of its work before failing is projected too.
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
            await readStore.CatchUpAsync();
        }
    }
}
