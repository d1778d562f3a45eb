using System.Text.Json;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Tests.Reports;

public sealed class ReportJsonTests
{
    public static TheoryData<string> Shapes => ["full", "minimal"];

    private static ReportDto Sample(string shape) => shape == "full"
        ? new ReportDto
        {
            Id = 9_007_199_254_740_993, DealId = "OPP-\"quoted\" <b>&</b> é ✓ \u2028", Outcome = "no_decision", ClosedOn = "2026-10-15",
            Amount = 1234567.89m, Currency = "EUR", Segment = "enterprise", StageReached = "negotiation", Region = "EMEA",
            Industry = "Fintech", Product = "Platform", AccountName = "Ünïcode GmbH",
            Competitors = [new("Acme Corp", 17, true, true), new("Globex", null, false, false)],
            Reasons = [new("price", "20% cheaper\nper seat", true), new("product_gap", null, false)],
            Objections = [new("price", "Acme", 17, "too expensive\t!", true), new("security", null, null, null, false)],
            Messages = [new("roi-calculator", "resonated")], CollateralUsed = ["case-study-1", "deck"],
            LeadSource = "webinar", LeadQuality = 5, Notes = "Line one\r\nline two", RepId = 42, Version = 3,
            CreatedAt = "2026-11-27T07:00:00.123Z", UpdatedAt = "2026-11-27T08:00:00.456Z", CreatedBy = 7,
            DeletedAt = "2026-11-27T09:00:00.000Z", DeleteReason = "duplicate",
        }
        : new ReportDto
        {
            DealId = "D", Outcome = "won", ClosedOn = "2026-01-01", Competitors = [], Reasons = [], Objections = [], Messages = [],
            CollateralUsed = [], CreatedAt = "2026-01-01T00:00:00.000Z", UpdatedAt = "2026-01-01T00:00:00.000Z",
        };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_generated_writer_matches_the_reflection_serializer_byte_for_byte(string shape)
    {
        var report = Sample(shape);
        var expected = JsonSerializer.SerializeToUtf8Bytes(report, JsonBody.Options);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(ReportJson.Utf8(report)));
    }

    [Fact]
    public void A_version_snapshot_reads_back_as_input_from_either_shape()
    {
        // Since migration 0060 a snapshot is the report as stored; before, the request body as sent.
        var stored = System.Text.Encoding.UTF8.GetString(ReportJson.Utf8(Sample("full")));
        var legacy = "{\"dealId\":\" D-1 \",\"outcome\":\"lost\",\"closedOn\":\"2026-10-15\",\"amount\":10.50,\"currency\":\"USD\","
            + "\"competitors\":[{\"name\":\"Acme\",\"primary\":true}],\"reasons\":null,\"repId\":3}";

        var fromStored = ReportJson.ReadVersion(stored);
        Assert.Equal("no_decision", fromStored.Outcome);
        Assert.Equal(1234567.89m, fromStored.Amount);
        Assert.Equal(["Acme Corp", "Globex"], fromStored.Competitors!.Select(x => x!.Name));
        Assert.Equal([true, false], fromStored.Competitors!.Select(x => x!.Primary));
        Assert.Equal("Acme", fromStored.Objections![0]!.Competitor);
        Assert.Equal(["case-study-1", "deck"], fromStored.CollateralUsed!);
        Assert.Equal(42, fromStored.RepId);

        var fromLegacy = ReportJson.ReadVersion(legacy);
        Assert.Equal(" D-1 ", fromLegacy.DealId);
        Assert.Equal(10.50m, fromLegacy.Amount);
        Assert.Null(fromLegacy.Reasons);
        Assert.Equal(3, fromLegacy.RepId);
    }

    [Fact]
    public void Absent_values_are_written_as_null_and_names_are_camel_case()
    {
        using var json = JsonDocument.Parse(ReportJson.Utf8(Sample("minimal")));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("amount").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("deleteReason").ValueKind);
        Assert.Equal("D", json.RootElement.GetProperty("dealId").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("collateralUsed").GetArrayLength());
    }
}
