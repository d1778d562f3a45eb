using System.Text;

namespace WinLoss.Tests.Exports;

/// <summary>A small RFC 4180 parser for asserting on export bodies (independent of the service's code).</summary>
public static class CsvText
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString()); field.Clear();
                rows.Add(row.ToArray()); row.Clear();
                i++;
            }
            else field.Append(ch);
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row.ToArray()); }
        return rows;
    }

    /// <summary>Rows as dictionaries keyed by the header.</summary>
    public static List<Dictionary<string, string>> Records(string text)
    {
        var rows = Parse(text);
        var header = rows[0];
        return rows.Skip(1).Select(r =>
        {
            Assert.Equal(header.Length, r.Length);
            return header.Zip(r).ToDictionary(p => p.First, p => p.Second);
        }).ToList();
    }
}
