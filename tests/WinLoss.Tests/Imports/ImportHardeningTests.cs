using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Imports;

/// <summary>Issue 17 (items 2, 3, 4, 5, 6, 8): what an outside red-team pass got past the CRM import, kept fixed.</summary>
public sealed class ImportHardeningTests(TestApp app) : IClassFixture<TestApp>
{
    private const string Mapping =
        """
        {
          "dealId": "Id", "outcome": { "column": "Stage", "values": { "Won": "won", "Lost": "lost" } },
          "closedOn": "Closed", "amount": "Amount", "currency": { "value": "EUR" }, "rep": "Owner"
        }
        """;

    private const string CommaMapping =
        """
        {
          "dealId": "Id", "outcome": { "column": "Stage", "values": { "Won": "won", "Lost": "lost" } },
          "closedOn": "Closed", "amount": { "column": "Amount", "decimalSeparator": "," }, "currency": { "value": "EUR" }, "rep": "Owner"
        }
        """;

    private const string Header = "Id,Stage,Closed,Amount,Owner\n";

    private static string Id() => "H" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(HttpStatusCode Status, JsonNode Body)> Post(HttpContent content)
    {
        var response = await app.Admin().PostAsync("/api/v1/imports/crm", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {text}");
        if ((int)response.StatusCode >= 400) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    private async Task<JsonNode> Import(string csv, string mapping = Mapping) => await Import(Encoding.UTF8.GetBytes(csv), mapping);

    private async Task<JsonNode> Import(byte[] csv, string mapping = Mapping)
    {
        var (status, body) = await Post(ImportHttp.Form(mapping, csv, []));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    private static List<(long Line, string Field, string Message)> Errors(JsonNode result) =>
        result["errors"]!.AsArray().Select(e => (e!["line"]!.GetValue<long>(), e["field"]!.GetValue<string>(), e["message"]!.GetValue<string>())).ToList();

    private long Scalar(string sql, object? args = null)
    {
        using var db = app.OpenDb();
        return db.ExecuteScalar<long>(sql, args);
    }

    // ---- item 2: a cut upload is a 4xx and imports nothing; the same file sent whole then imports it all

    private static byte[] Multipart(string boundary, string mapping, string csv, double keep)
    {
        var head = $"--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\nContent-Type: application/json\r\n\r\n{mapping}\r\n" +
                   $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.csv\"\r\nContent-Type: text/csv\r\n\r\n";
        var whole = Encoding.UTF8.GetBytes(head + csv + $"\r\n--{boundary}--\r\n");
        return whole[..(int)(whole.Length * keep)];
    }

    [Fact]
    public async Task A_multipart_upload_cut_at_80_percent_is_400_imports_nothing_and_the_whole_file_then_imports_everything()
    {
        var prefix = Id();
        var csv = Header + string.Concat(Enumerable.Range(0, 2000).Select(i => $"{prefix}-{i},Won,2025-03-0{1 + i % 9},{100 + i},Ada Cut\n"));
        const string boundary = "cut-boundary-17";
        var auditsBefore = Scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import.crm'");

        var cut = new ByteArrayContent(Multipart(boundary, Mapping, csv, 0.8));
        cut.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        var (status, problem) = await Post(cut);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("multipart"), problem.ToJsonString());
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id LIKE @p", new { p = prefix + "-%" }));
        Assert.Equal(auditsBefore, Scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import.crm'"));

        var whole = new ByteArrayContent(Multipart(boundary, Mapping, csv, 1.0));
        whole.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        var (okStatus, result) = await Post(whole);
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(2000, result["created"]!.GetValue<long>());
        Assert.Equal(2000, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id LIKE @p", new { p = prefix + "-%" }));

        // The audit entry says exactly what the answer says (and what is stored).
        using var db = app.OpenDb();
        var details = JsonNode.Parse(db.ExecuteScalar<string>("SELECT details FROM audit_log WHERE action = 'import.crm' ORDER BY id DESC LIMIT 1")!)!;
        Assert.Equal((2000L, 2000L, true), (details["rowsRead"]!.GetValue<long>(), details["created"]!.GetValue<long>(), details["completed"]!.GetValue<bool>()));
    }

    // ---- item 3: decimals

    [Theory]
    [InlineData("12,50")]
    [InlineData("1,2,3,4")]
    [InlineData("1,23")]
    [InlineData("12,3456")]
    [InlineData("1.234,50")]
    [InlineData("1e5")]
    public async Task A_misplaced_group_separator_is_a_row_error_not_a_bigger_amount(string amount)
    {
        var deal = Id();
        var result = await Import(Header + $"{deal},Won,2025-03-01,\"{amount}\",Ada Decimal\n");
        Assert.Equal(0, result["created"]!.GetValue<long>());
        var error = Assert.Single(Errors(result));
        Assert.Equal((2L, "amount"), (error.Line, error.Field));
        Assert.Contains(amount, error.Message);
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("1,234.50", 123_450)]
    [InlineData("1,234,567", 123_456_700)]
    [InlineData("12.5", 1_250)]
    [InlineData("999", 99_900)]
    public async Task Well_grouped_amounts_with_a_decimal_point_are_read_exactly(string amount, long cents)
    {
        var deal = Id();
        var result = await Import(Header + $"{deal},Won,2025-03-01,\"{amount}\",Ada Decimal\n");
        Assert.Equal(1, result["created"]!.GetValue<long>());
        Assert.Equal(cents, Scalar("SELECT amount_cents FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("12,50", 1_250)]
    [InlineData("1.234,50", 123_450)]
    [InlineData("1 234,50", 123_450)]
    [InlineData("1\u00a0234\u00a0567,05", 123_456_705)]
    [InlineData("7", 700)]
    public async Task With_decimalSeparator_comma_European_amounts_are_read_exactly(string amount, long cents)
    {
        var deal = Id();
        var result = await Import(Header + $"{deal},Won,2025-03-01,\"{amount}\",Ada Decimal\n", CommaMapping);
        Assert.Equal(1, result["created"]!.GetValue<long>());
        Assert.Equal(cents, Scalar("SELECT amount_cents FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1,234.50")]
    [InlineData("12,5,0")]
    public async Task With_decimalSeparator_comma_misplaced_separators_are_row_errors(string amount)
    {
        var deal = Id();
        var result = await Import(Header + $"{deal},Won,2025-03-01,\"{amount}\",Ada Decimal\n", CommaMapping);
        Assert.Equal(("amount", 0L), (Assert.Single(Errors(result)).Field, result["created"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("""{"dealId":"Id","outcome":{"column":"Stage","values":{"Won":"won"}},"closedOn":"Closed","rep":"Owner","amount":{"column":"Amount","decimalSeparator":";"}}""", "mapping.amount.decimalSeparator")]
    [InlineData("""{"dealId":"Id","outcome":{"column":"Stage","values":{"Won":"won"}},"closedOn":"Closed","rep":{"column":"Owner","decimalSeparator":","}}""", "mapping.rep.decimalSeparator")]
    public async Task A_bad_decimalSeparator_is_400_naming_it(string mapping, string field)
    {
        var (status, body) = await Post(ImportHttp.Form(mapping, Header + $"{Id()},Won,2025-03-01,1,Ada\n"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body["errors"]!.AsObject().ContainsKey(field), body.ToJsonString());
    }

    // ---- item 4 (and 6): the same deal twice in one file

    [Fact]
    public async Task A_dealId_repeated_in_one_file_is_imported_once_and_the_repeats_are_row_errors_naming_the_first_line()
    {
        var deal = Id();
        var result = await Import(Header +
            $"{deal},Won,2025-03-01,100,Ada Dup\n" +
            $"{deal},Lost,2025-03-02,200,Ada Dup\n" +
            $"\ufeff{deal}\u200b,Won,2025-03-03,300,Ada Dup\n");

        Assert.Equal((1L, 0L, 2L), (result["created"]!.GetValue<long>(), result["updated"]!.GetValue<long>(), result["rejected"]!.GetValue<long>()));
        var errors = Errors(result);
        Assert.Equal([(3L, "dealId"), (4L, "dealId")], errors.Select(e => (e.Line, e.Field)).ToList());
        Assert.All(errors, e => Assert.Contains("line 2", e.Message));
        using var db = app.OpenDb();
        Assert.Equal(("won", 10_000L, 1L), db.QuerySingle<(string, long, long)>("SELECT outcome, amount_cents, version FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Fact]
    public async Task An_imported_dealId_with_invisible_characters_matches_the_report_already_filed()
    {
        var deal = Id();
        var (_, rep) = app.SeedUser("rep");
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(Http.Report(deal))).StatusCode);

        var result = await Import(Header + $"\ufeff{deal}\u202e,Won,2025-03-01,100,Ada Dup\n");

        Assert.Equal((0L, 1L), (result["created"]!.GetValue<long>(), result["skippedBy"]!["existingReport"]!.GetValue<long>()));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id LIKE @p", new { p = "%" + deal + "%" }));
    }

    // ---- item 5: records are capped; an oversized one is a row error and the rest is imported

    [Fact]
    public async Task A_row_of_three_million_commas_is_a_row_error_and_the_next_row_is_imported()
    {
        var (big, next) = (Id(), Id());
        var csv = new StringBuilder(Header).Append(big).Append(",Won,2025-03-01,1,Ada Big").Append(',', 3_000_000).Append('\n')
            .Append($"{next},Won,2025-03-01,1,Ada Big\n").ToString();

        var result = await Import(csv);

        var error = Assert.Single(Errors(result));
        Assert.Equal((2L, "file"), (error.Line, error.Field));
        Assert.Contains("fields", error.Message);
        Assert.Equal(1, result["created"]!.GetValue<long>());
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id = @next", new { next }));
    }

    [Fact]
    public async Task A_two_megabyte_field_is_a_row_error_and_a_huge_header_is_400()
    {
        var (big, next) = (Id(), Id());
        var result = await Import(Header + $"{big},Won,2025-03-01,1,\"{new string('x', 2 * 1024 * 1024)}\"\n{next},Won,2025-03-01,1,Ada Big\n");
        Assert.Equal((2L, "file"), (Assert.Single(Errors(result)).Line, Errors(result)[0].Field));
        Assert.Equal(1, result["created"]!.GetValue<long>());

        var header = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"c{i}"));
        var (status, problem) = await Post(ImportHttp.Form(Mapping, header + "\n1,2\n"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("file"), problem.ToJsonString());
    }

    // ---- item 8: Latin-1 bytes and garbage rows

    [Fact]
    public async Task Latin1_bytes_are_a_row_error_naming_the_field_not_a_silent_replacement_character()
    {
        var (latin, good) = (Id(), Id());
        var bytes = Encoding.UTF8.GetBytes(Header + $"{latin},Won,2025-03-01,1,Jos")
            .Concat(new byte[] { 0xE9 }) // é in Latin-1 / Windows-1252
            .Concat(Encoding.UTF8.GetBytes($" Latin\n{good},Won,2025-03-01,1,José Utf\n")).ToArray();

        var result = await Import(bytes);

        var error = Assert.Single(Errors(result));
        Assert.Equal((2L, "rep"), (error.Line, error.Field));
        Assert.Contains("UTF-8", error.Message);
        Assert.Equal(1, result["created"]!.GetValue<long>());
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM reports WHERE deal_id = @latin", new { latin }));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM users WHERE instr(display_name, @r) > 0", new { r = "\uFFFD" }));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM users WHERE display_name = 'José Utf'"));
    }

    [Theory]
    [InlineData("@@@ garbage @@@")]
    [InlineData("\u0001\u0002\u0003")]
    [InlineData("x,,,,,,,,,,,,")]
    [InlineData("a,b,c")]
    [InlineData("x,Prospecting,2025-03-01,1,Ada,extra")]
    public async Task A_garbage_row_is_a_row_error_not_an_open_deal(string garbage)
    {
        var open = Id();
        var result = await Import(Header + garbage + "\n" + $"{open},Prospecting,,,Ada Open\n");
        Assert.Equal(1, result["skippedBy"]!["open"]!.GetValue<long>());
        Assert.Equal(1, result["rejected"]!.GetValue<long>());
        Assert.Equal(2L, Assert.Single(Errors(result)).Line);
    }

    [Fact]
    public async Task An_open_deal_without_a_dealId_is_a_row_error()
    {
        var result = await Import(Header + ",Prospecting,,,Ada Open\n");
        Assert.Equal((0L, 1L), (result["skippedBy"]!["open"]!.GetValue<long>(), result["rejected"]!.GetValue<long>()));
        Assert.Equal("dealId", Assert.Single(Errors(result)).Field);
    }

    // ---- the hostile import corpus: never a 500, never a report holding U+FFFD

    public static TheoryData<string, byte[]> HostileFiles()
    {
        byte[] U(string s) => Encoding.UTF8.GetBytes(s);
        var id = "HF" + Guid.NewGuid().ToString("N")[..8];
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "bom only", [0xEF, 0xBB, 0xBF] },
            { "header only", U(Header) },
            { "unclosed quote", U(Header + $"{id}a,Won,\"2025-03-01\n") },
            { "text after quote", U(Header + $"{id}b,Won,\"2025\"x,1,Ada\n") },
            { "nul bytes", U(Header + $"{id}c\0,Won,2025-03-01,1,Ada\0\n") },
            { "latin-1 everywhere", [.. U(Header), 0xE9, 0xE8, 0x2C, 0x57, 0x6F, 0x6E, 0x0A] },
            { "invalid utf-8 sequences", [.. U(Header + id + "d,Won,2025-03-01,1,"), 0xC3, 0x28, 0xF0, 0x28, 0x8C, 0xBC, 0x0A] },
            { "utf-16 file", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Header + $"{id}e,Won,2025-03-01,1,Ada\n")).ToArray() },
            { "decimal comma", U(Header + $"{id}f,Won,2025-03-01,\"12,50\",Ada\n") },
            { "group garbage", U(Header + $"{id}g,Won,2025-03-01,\"1,2,3,4\",Ada\n") },
            { "duplicate deals", U(Header + $"{id}h,Won,2025-03-01,1,Ada\n{id}h,Lost,2025-03-01,1,Ada\n{id}h,Won,2025-03-01,1,Ada\n") },
            { "invisible dealId", U(Header + $"\u200b\ufeff\u202e,Won,2025-03-01,1,Ada\n") },
            { "formula injection", U(Header + $"=cmd|' /C calc'!A0,Won,2025-03-01,1,@SUM(1)\n") },
            { "cr only line ends", U(Header.Replace("\n", "\r") + $"{id}i,Won,2025-03-01,1,Ada\r") },
            { "many columns", U(string.Join(",", Enumerable.Range(0, 3000).Select(i => $"c{i}")) + "\n") },
            { "long line of commas", U(Header + new string(',', 500_000) + "\n") },
            { "far future date", U(Header + $"{id}j,Won,9999-12-31,1,Ada\n") },
            { "huge amount", U(Header + $"{id}k,Won,2025-03-01,99999999999999999999999999999999,Ada\n") },
            { "negative amount", U(Header + $"{id}l,Won,2025-03-01,-5,Ada\n") },
        };
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task A_hostile_import_file_gets_a_clear_answer_never_a_500(string name, byte[] csv)
    {
        var (status, body) = await Post(ImportHttp.Form(Mapping, csv, []));
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{name}: {(int)status} {body.ToJsonString()}");
        Assert.DoesNotContain("   at ", body.ToJsonString());
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM reports WHERE instr(deal_id, @r) > 0 OR instr(notes, @r) > 0", new { r = "\uFFFD" }));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM reports WHERE amount_cents < 0"));
    }
}
