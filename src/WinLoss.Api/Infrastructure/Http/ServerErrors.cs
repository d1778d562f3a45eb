using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// Errors Kestrel answers by itself, before any middleware runs (a request line over its limit: 414; headers over
/// their limit: 431; malformed HTTP framing: 400; 408, 411, 505...), go out with an empty body, and Kestrel has no hook
/// to change that (aspnet/KestrelHttpServer#2947: "this category of errors is not customisable"). So every connection's
/// output passes through <see cref="ProblemBodyWriter"/>: a response head Kestrel writes on its own for a rejected
/// request — status 4xx/5xx, <c>Content-Length: 0</c>, <c>Connection: close</c>, written in one piece — gets an RFC 9457
/// problem+json body. The app itself never sends such a response (its error responses always have a problem body, see
/// UseStatusCodePages), and everything else passes through untouched: one length and prefix check per write.
/// </summary>
public static class ServerErrors
{
    public static void UseProblemBodiesForServerErrors(this ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new DuplexPipe(transport.Input, new ProblemBodyWriter(transport.Output));
            try { await next(connection); }
            finally { connection.Transport = transport; }
        });

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>The problem+json a Kestrel-made error head is answered with (head and body), or null to leave it.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (written.Length is < 17 or > 4096 || !written.StartsWith("HTTP/1."u8) || written[9] is not ((byte)'4' or (byte)'5')) return null;
        if (!written.EndsWith("\r\n\r\n"u8) || written[..^4].IndexOf("\r\n\r\n"u8) >= 0) return null;
        if (written.IndexOf("\r\nContent-Length: 0\r\n"u8) < 0 || written.IndexOf("\r\nConnection: close\r\n"u8) < 0) return null;
        if (!int.TryParse(written.Slice(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
            return null;

        var head = Encoding.ASCII.GetString(written[..^4]).Split("\r\n");
        var (title, detail) = Describe(status);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = status == 431 ? "https://www.rfc-editor.org/rfc/rfc6585#section-5" : $"https://www.rfc-editor.org/rfc/rfc9110#name-{Anchor(status)}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        });
        var sb = new StringBuilder(head[0]).Append("\r\n");
        foreach (var line in head.Skip(1))
            if (!line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) sb.Append(line).Append("\r\n");
        sb.Append("Content-Type: application/problem+json\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(sb.ToString()), .. body];
    }

    private static (string Title, string Detail) Describe(int status) => status switch
    {
        400 => ("Bad request", "The request is not well-formed HTTP (request line, headers or message framing) and was rejected before reaching the API."),
        408 => ("Request timeout", "The request headers or body did not arrive in time."),
        411 => ("Length required", "Send Content-Length (or chunked transfer encoding) with a request body."),
        413 => ("Payload too large", "The request body is larger than the server accepts."),
        414 => ("URI too long", "The request line is longer than the server accepts (8 KiB): shorten the query string."),
        431 => ("Request header fields too large", "The request headers are larger than the server accepts (32 KiB in total)."),
        501 => ("Not implemented", "The server does not support this request's method or transfer coding."),
        505 => ("HTTP version not supported", "Send HTTP/1.1."),
        _ => ("Request rejected", "The server rejected the request before it reached the API."),
    };

    private static string Anchor(int status) => status switch
    {
        400 => "400-bad-request",
        408 => "408-request-timeout",
        411 => "411-length-required",
        413 => "413-content-too-large",
        414 => "414-uri-too-long",
        _ => "status-codes",
    };

    /// <summary>Passes writes through to the transport; swaps a Kestrel-made error head for the same head with a problem body.</summary>
    private sealed class ProblemBodyWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (bytes is >= 17 and <= 4096 && bytes <= _last.Length && Rewrite(_last.Span[..bytes]) is { } replacement)
            {
                // Nothing is committed until Advance: writing the replacement over the same buffer drops the original.
                var span = inner.GetSpan(replacement.Length);
                replacement.CopyTo(span);
                inner.Advance(replacement.Length);
                _last = default;
                return;
            }
            _last = default;
            inner.Advance(bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
