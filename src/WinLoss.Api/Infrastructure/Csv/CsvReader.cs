using System.Text;

namespace WinLoss.Api.Infrastructure.Csv;

/// <summary>
/// Streaming RFC 4180 reader: one record at a time from a <see cref="TextReader"/>, quoted fields with
/// doubled quotes and embedded line breaks, CRLF or LF line ends, a UTF-8 BOM ignored. Knows the line
/// number each record starts on (the header is line 1), for error reports. Memory is one record.
/// </summary>
public sealed class CsvReader(TextReader reader, int maxFieldLength = 1 << 20)
{
    private readonly StringBuilder _field = new();
    private readonly List<string> _fields = [];
    private long _line = 1;
    private bool _started;

    /// <summary>The physical line the last record returned by <see cref="ReadAsync"/> started on.</summary>
    public long RecordLine { get; private set; }

    /// <summary>The next record's fields, or null at the end of the input. Throws <see cref="CsvFormatException"/> on malformed input.</summary>
    public async ValueTask<IReadOnlyList<string>?> ReadAsync(CancellationToken cancellationToken = default)
    {
        _fields.Clear();
        _field.Clear();
        RecordLine = _line;
        var quoted = false;
        var afterQuote = false;
        var any = false;
        while (true)
        {
            var c = await NextAsync(cancellationToken);
            if (c < 0)
            {
                if (quoted) throw new CsvFormatException(RecordLine, "A quoted field is not closed before the end of the file.");
                if (!any) return null;
                _fields.Add(_field.ToString());
                return _fields;
            }
            var ch = (char)c;
            if (!_started)
            {
                _started = true;
                if (ch == '\uFEFF') continue;
            }
            any = true;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (await PeekAsync(cancellationToken) == '"') { await NextAsync(cancellationToken); _field.Append('"'); }
                    else { quoted = false; afterQuote = true; }
                }
                else
                {
                    if (ch == '\n') _line++;
                    _field.Append(ch);
                }
            }
            else if (ch == ',')
            {
                _fields.Add(_field.ToString());
                _field.Clear();
                afterQuote = false;
            }
            else if (ch is '\r' or '\n')
            {
                if (ch == '\r' && await PeekAsync(cancellationToken) == '\n') await NextAsync(cancellationToken);
                _line++;
                _fields.Add(_field.ToString());
                return _fields;
            }
            else if (ch == '"' && _field.Length == 0 && !afterQuote)
            {
                quoted = true;
            }
            else
            {
                if (afterQuote) throw new CsvFormatException(RecordLine, "Text after a closing quote; quote the whole field and double quotes inside it.");
                _field.Append(ch);
            }
            if (_field.Length > maxFieldLength) throw new CsvFormatException(RecordLine, $"A field is longer than {maxFieldLength} characters.");
        }
    }

    private readonly char[] _buffer = new char[16 * 1024];
    private int _pos;
    private int _len;

    private ValueTask<int> NextAsync(CancellationToken cancellationToken)
    {
        if (_pos < _len) return new ValueTask<int>(_buffer[_pos++]);
        return FillThenNextAsync(cancellationToken);
    }

    private async ValueTask<int> FillThenNextAsync(CancellationToken cancellationToken)
    {
        _len = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
        _pos = 0;
        return _len <= 0 ? -1 : _buffer[_pos++];
    }

    private async ValueTask<int> PeekAsync(CancellationToken cancellationToken)
    {
        if (_pos < _len) return _buffer[_pos];
        _len = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
        _pos = 0;
        return _len <= 0 ? -1 : _buffer[_pos];
    }
}

public sealed class CsvFormatException(long line, string message) : Exception(message)
{
    public long Line { get; } = line;
}
