using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Exports;

/// <summary>One export's shape: its file name, endpoint (for the audit), fixed CSV columns, and how one row is written in each format.</summary>
public sealed record ExportShape<TRow>(string Name, string Endpoint, string[] Columns, Action<CsvWriter, TRow> Csv, Action<Utf8JsonWriter, TRow> Json);

/// <summary>What the caller asked for: the filters, csv or jsonl, a BOM for Excel, and who asks (for the audit).</summary>
public sealed record ExportRequest(ExportFilter Filter, string Format, bool Excel, Caller Caller);

/// <summary>
/// The one export pipeline: the handlers only return their rows (an unbuffered query as <see cref="IAsyncEnumerable{T}"/>,
/// which runs when it is enumerated here — after authorization and validation); this streams them as CSV or JSON Lines
/// into the response and records the audit entry once the body was sent (or broke off).
/// </summary>
public static class ExportStream
{
    public static async Task<long> WriteAsync<TRow>(
        HttpResponse response, ExportShape<TRow> shape, IAsyncEnumerable<TRow> rows, ExportRequest request, Writer writer,
        CancellationToken cancellationToken)
    {
        ExportOutput.Begin(response, shape.Name, request.Format);
        long count = 0;
        var completed = false;
        try
        {
            if (request.Format == ExportOutput.Jsonl)
            {
                var jsonl = new JsonLinesWriter(response.BodyWriter);
                await foreach (var row in rows.WithCancellation(cancellationToken))
                {
                    shape.Json(jsonl.Row, row);
                    count++;
                    await jsonl.EndRowAsync(cancellationToken);
                }
                await jsonl.CompleteAsync(cancellationToken);
            }
            else
            {
                await using var csv = new CsvWriter(response.Body, request.Excel);
                csv.Header(shape.Columns);
                await foreach (var row in rows.WithCancellation(cancellationToken))
                {
                    shape.Csv(csv, row);
                    count++;
                    await csv.EndRowAsync(cancellationToken);
                }
                await csv.FlushAsync(cancellationToken);
            }
            completed = true;
        }
        finally
        {
            await ExportOutput.RecordAsync(writer, request.Caller, shape.Endpoint, request.Filter, request.Format, count, completed);
        }
        return count;
    }
}

/// <summary>What every export shares: formats, response headers, the JSON Lines writer, the audit entry.</summary>
public static class ExportOutput
{
    public const string Csv = "csv";
    public const string Jsonl = "jsonl";
    public static readonly string[] Formats = [Csv, Jsonl];

    /// <summary>Inside multi-value cells the SQL joins with U+001F (never in stored names); CSV shows "; ", JSON Lines an array.</summary>
    public const char UnitSeparator = '\u001f';

    /// <summary>Content type and an attachment file name; no response buffering (the body streams as rows are read).</summary>
    public static void Begin(HttpResponse response, string what, string format)
    {
        response.ContentType = format == Jsonl ? "application/x-ndjson; charset=utf-8" : "text/csv; charset=utf-8";
        var name = $"winloss-{what}-{Clock.TodayUtc():yyyy-MM-dd}.{format}";
        response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        response.Headers.CacheControl = "no-store";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    public static string Joined(string? values) =>
        values is null ? "" : values.Replace(UnitSeparator.ToString(), Infrastructure.Csv.CsvWriter.MultiValueSeparator, StringComparison.Ordinal);

    public static void WriteArray(Utf8JsonWriter json, string name, string? values)
    {
        json.WriteStartArray(name);
        if (!string.IsNullOrEmpty(values))
            foreach (var v in values.Split(UnitSeparator)) json.WriteStringValue(v);
        json.WriteEndArray();
    }

    public static void WriteAmount(Utf8JsonWriter json, long? cents)
    {
        if (cents is null) json.WriteNull("amount");
        else json.WriteNumber("amount", cents.Value / 100m);
    }

    /// <summary>Records the export (who, when, what, filters, format, rows, whether it ran to the end) after the body was sent.</summary>
    public static Task RecordAsync(Writer writer, Caller caller, string endpoint, ExportFilter filter, string format, long rows, bool completed) =>
        writer.ExecuteAsync((c, t) => Audit.Record(c, t, caller, "export", endpoint, new
        {
            filters = filter.Applied(), format, rows, completed,
        }), CancellationToken.None);
}

/// <summary>JSON Lines straight into the response pipe: one object per line, flushed every 32 KiB.</summary>
public sealed class JsonLinesWriter(PipeWriter pipe)
{
    private const int FlushAt = 32 * 1024;
    private readonly Utf8JsonWriter _json = new(pipe, new JsonWriterOptions { SkipValidation = true, Indented = false });
    private long _pending;

    public Utf8JsonWriter Row
    {
        get { _json.WriteStartObject(); return _json; }
    }

    public ValueTask EndRowAsync(CancellationToken cancellationToken)
    {
        _json.WriteEndObject();
        _pending += _json.BytesPending;
        _json.Flush();
        var span = pipe.GetSpan(1);
        span[0] = (byte)'\n';
        pipe.Advance(1);
        _json.Reset();
        if (_pending < FlushAt) return ValueTask.CompletedTask;
        _pending = 0;
        return FlushAsync(cancellationToken);
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken) => await pipe.FlushAsync(cancellationToken);

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _json.Flush();
        await pipe.FlushAsync(cancellationToken);
    }
}
