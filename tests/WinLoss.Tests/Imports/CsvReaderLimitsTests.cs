using WinLoss.Api.Infrastructure.Csv;

namespace WinLoss.Tests.Imports;

/// <summary>Issue 17 item 5: the CSV reader's memory is one capped record, whatever the input.</summary>
public sealed class CsvReaderLimitsTests
{
    private static async Task<List<object>> ReadAll(string text, int maxFields = CsvReader.DefaultMaxFields, int maxRecordLength = CsvReader.DefaultMaxRecordLength)
    {
        var reader = new CsvReader(new StringReader(text), maxFields: maxFields, maxRecordLength: maxRecordLength);
        var results = new List<object>();
        while (true)
        {
            try
            {
                if (await reader.ReadAsync() is not { } record) return results;
                results.Add(string.Join("|", record));
            }
            catch (CsvFormatException ex) when (ex.Skipped)
            {
                results.Add(ex);
            }
        }
    }

    [Fact]
    public async Task A_record_of_six_million_commas_is_skipped_without_holding_its_fields()
    {
        var text = "a,b\n" + new string(',', 6_000_000) + "x\nc,d\n";
        var before = GC.GetAllocatedBytesForCurrentThread();

        var results = await ReadAll(text);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("a|b", results[0]);
        var skipped = Assert.IsType<CsvFormatException>(results[1]);
        Assert.Equal(2, skipped.Line);
        Assert.Contains("more than 2,000 fields", skipped.Message);
        Assert.Equal("c|d", results[2]);
        // Holding 6 million fields would take a 6M-entry list (~100 MB with its growth); one capped record is a few MB at most.
        Assert.True(allocated < 8_000_000, $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public async Task A_record_over_the_length_cap_is_skipped_even_inside_quotes_with_line_breaks()
    {
        var text = "h\n\"" + new string('x', 300) + "\n" + new string('y', 300) + "\"\nnext\n";
        var results = await ReadAll(text, maxRecordLength: 500);
        var skipped = Assert.IsType<CsvFormatException>(results[1]);
        Assert.Equal((2L, true), (skipped.Line, skipped.Message.Contains("longer than 500")));
        Assert.Equal("next", results[2]);
    }

    [Fact]
    public async Task Records_at_the_caps_are_read_whole()
    {
        var fields = string.Join(",", Enumerable.Range(0, 2_000));
        var results = await ReadAll(fields + "\n");
        Assert.Equal(2_000, ((string)results[0]).Split('|').Length);
    }
}
