using System.Globalization;
using System.Text;

namespace WinLoss.Api.Infrastructure.Csv;

/// <summary>
/// RFC 4180 CSV straight to a stream (UTF-8, CRLF line ends, fields quoted when they hold a comma,
/// quote or line break). Text cells starting with =, +, -, @, tab or CR are prefixed with ' (OWASP
/// CSV injection guard); numbers written with <see cref="Number"/> are not. Rows collect in a small
/// buffer that <see cref="EndRowAsync"/> writes out asynchronously once it passes 32 KiB: memory
/// stays flat in the number of rows, and no synchronous I/O touches the response stream.
/// </summary>
public sealed class CsvWriter(Stream stream, bool excelBom = false) : IAsyncDisposable
{
    private const int FlushAt = 32 * 1024;
    private readonly StreamWriter _stream = new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: excelBom), bufferSize: 64 * 1024, leaveOpen: true);
    private readonly StringBuilder _writer = new(FlushAt + 4096);
    private bool _firstInRow = true;

    public const string MultiValueSeparator = "; ";

    /// <summary>A text cell (guarded against formula injection).</summary>
    public CsvWriter Text(string? value)
    {
        Separator();
        if (string.IsNullOrEmpty(value)) return this;
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        WriteEscaped(value);
        return this;
    }

    /// <summary>Several values in one cell, joined with "; ".</summary>
    public CsvWriter Many(IEnumerable<string> values) => Text(string.Join(MultiValueSeparator, values));

    public CsvWriter Number(long? value)
    {
        Separator();
        if (value is not null) _writer.Append(value.Value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public CsvWriter Number(decimal? value)
    {
        Separator();
        if (value is not null) _writer.Append(value.Value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public CsvWriter Number(double? value, string format = "0.####")
    {
        Separator();
        if (value is not null && double.IsFinite(value.Value)) _writer.Append(value.Value.ToString(format, CultureInfo.InvariantCulture));
        return this;
    }

    public CsvWriter Bool(bool? value)
    {
        Separator();
        if (value is not null) _writer.Append(value.Value ? "true" : "false");
        return this;
    }

    public CsvWriter Header(params string[] names)
    {
        foreach (var name in names) { Separator(); WriteEscaped(name); }
        return EndRow();
    }

    public CsvWriter EndRow()
    {
        _writer.Append("\r\n");
        _firstInRow = true;
        return this;
    }

    /// <summary>Ends the row and writes the buffer out when it is full. Call once per data row.</summary>
    /// <summary>Data rows written so far (rows ended with <see cref="EndRowAsync"/>; the header is not one).</summary>
    public long DataRows { get; private set; }

    public ValueTask EndRowAsync(CancellationToken cancellationToken = default)
    {
        DataRows++;
        EndRow();
        return _writer.Length >= FlushAt ? new ValueTask(DrainAsync(cancellationToken)) : ValueTask.CompletedTask;
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await DrainAsync(cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(_writer, cancellationToken);
        _writer.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync();
        await _stream.DisposeAsync();
    }

    private void Separator()
    {
        if (!_firstInRow) _writer.Append(',');
        _firstInRow = false;
    }

    private void WriteEscaped(string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) { _writer.Append(value); return; }
        _writer.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
    }
}
