using System.Text;

namespace WinLoss.Api.Infrastructure.Csv;

/// <summary>
/// Streaming RFC 4180 reader: one record at a time from a <see cref="TextReader"/>, quoted fields with
/// doubled quotes and embedded line breaks, CRLF or LF line ends, a UTF-8 BOM ignored. Knows the line
/// number each record starts on (the header is line 1), for error reports. Memory is one record, and a record
/// is capped: at most <c>maxFields</c> fields and <c>maxRecordLength</c> characters (one field at most
/// <c>maxFieldLength</c>). A record over a cap is read to its end without being kept and reported as a
/// <see cref="CsvFormatException"/> with <see cref="CsvFormatException.Skipped"/> set: reading can go on with the next record.
/// </summary>
public sealed class CsvReader(TextReader reader, int maxFieldLength = CsvReader.DefaultMaxRecordLength,
    int maxFields = CsvReader.DefaultMaxFields, int maxRecordLength = CsvReader.DefaultMaxRecordLength)
{
    public const int DefaultMaxFields = 2_000;
    public const int DefaultMaxRecordLength = 1 << 20;

    private readonly StringBuilder _field = new();
    private readonly List<string> _fields = [];
    private long _line = 1;
    private bool _started;
    private string? _tooLarge;
    private int _fieldChars;

    /// <summary>The physical line the last record returned by <see cref="ReadAsync"/> started on.</summary>
    public long RecordLine { get; private set; }

    /// <summary>The next record's fields, or null at the end of the input. Throws <see cref="CsvFormatException"/> on malformed input.</summary>
    public async ValueTask<IReadOnlyList<string>?> ReadAsync(CancellationToken cancellationToken = default)
    {
        _fields.Clear();
        _field.Clear();
        _tooLarge = null;
        _fieldChars = 0;
        RecordLine = _line;
        var quoted = false;
        var afterQuote = false;
        var any = false;
        long length = 0;
        while (true)
        {
            var c = await NextAsync(cancellationToken);
            if (c < 0)
            {
                if (quoted) throw new CsvFormatException(RecordLine, "A quoted field is not closed before the end of the file.");
                if (!any) return null;
                return EndRecord();
            }
            var ch = (char)c;
            if (!_started)
            {
                _started = true;
                if (ch == '\uFEFF') continue;
            }
            any = true;
            if (++length > maxRecordLength && _tooLarge is null) TooLarge($"The record is longer than {maxRecordLength:N0} characters.");
            if (quoted)
            {
                if (ch == '"')
                {
                    if (await PeekAsync(cancellationToken) == '"') { await NextAsync(cancellationToken); Append('"'); }
                    else { quoted = false; afterQuote = true; }
                }
                else
                {
                    if (ch == '\n') _line++;
                    Append(ch);
                }
            }
            else if (ch == ',')
            {
                EndField();
                afterQuote = false;
            }
            else if (ch is '\r' or '\n')
            {
                if (ch == '\r' && await PeekAsync(cancellationToken) == '\n') await NextAsync(cancellationToken);
                _line++;
                return EndRecord();
            }
            else if (ch == '"' && _fieldChars == 0 && !afterQuote)
            {
                quoted = true;
            }
            else
            {
                if (afterQuote) throw new CsvFormatException(RecordLine, "Text after a closing quote; quote the whole field and double quotes inside it.");
                Append(ch);
            }
        }
    }

    private void Append(char ch)
    {
        _fieldChars++;
        if (_tooLarge is not null) return;
        _field.Append(ch);
        if (_field.Length > maxFieldLength) TooLarge($"A field is longer than {maxFieldLength:N0} characters.");
    }

    private void EndField()
    {
        _fieldChars = 0;
        if (_tooLarge is not null) return;
        if (_fields.Count >= maxFields) { TooLarge($"The record has more than {maxFields:N0} fields."); return; }
        _fields.Add(_field.ToString());
        _field.Clear();
    }

    /// <summary>From here to the record's end nothing is kept: memory stays one capped record.</summary>
    private void TooLarge(string message)
    {
        if (_tooLarge is not null) return;
        _tooLarge = message;
        _fields.Clear();
        _field.Clear();
    }

    private List<string> EndRecord()
    {
        EndField();
        if (_tooLarge is not null) throw new CsvFormatException(RecordLine, _tooLarge + " It was skipped.") { Skipped = true };
        return _fields;
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

    /// <summary>The record was over a size cap and has been read past: the next record can be read.</summary>
    public bool Skipped { get; init; }
}
