using System.Net.Http.Headers;
using System.Text;

namespace WinLoss.Tests.Imports;

public static class ImportHttp
{
    /// <summary>multipart/form-data: mapping, then lookups, then the file (the order scripts/import.sh sends).</summary>
    public static MultipartFormDataContent Form(string mapping, string csv, params (string Name, string Csv)[] lookups) =>
        Form(mapping, Encoding.UTF8.GetBytes(csv), lookups.Select(l => (l.Name, Encoding.UTF8.GetBytes(l.Csv))).ToArray());

    public static MultipartFormDataContent Form(string? mapping, byte[]? csv, (string Name, byte[] Csv)[] lookups, bool fileFirst = false)
    {
        var form = new MultipartFormDataContent();
        void AddFile()
        {
            if (csv is null) return;
            var file = new ByteArrayContent(csv);
            file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(file, "file", "opportunities.csv");
        }
        if (fileFirst) AddFile();
        if (mapping is not null) form.Add(new StringContent(mapping, Encoding.UTF8, "application/json"), "mapping");
        foreach (var (name, bytes) in lookups)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(part, "lookup." + name, name + ".csv");
        }
        if (!fileFirst) AddFile();
        return form;
    }
}
