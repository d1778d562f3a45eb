using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Imports;

/// <summary>
/// The real CRM export "CRM sales opportunities" (Maven Analytics sample, 8,800 opportunities),
/// copied unchanged into tests/WinLoss.Tests/Fixtures so the test runs wherever the repository is cloned,
/// imported with the example mapping shipped in scripts/import-examples. Expected figures are from the data set's
/// SOURCE.md and the CSV rows themselves (read by eye), not from the importer.
/// <para>Tier "Volume": the whole sample goes through the importer, seconds of CPU; the full run has it, --fast does not.</para>
/// </summary>
[Trait("Tier", "Volume")]
public sealed class CrmDatasetImportTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string Dataset = Path.Combine(Repo.Root, "tests", "WinLoss.Tests", "Fixtures", "crm-sales-opportunities");
    private static readonly string Mapping = File.ReadAllText(Path.Combine(Repo.Root, "scripts", "import-examples", "crm-sales-opportunities.json"));

    private async Task<JsonNode> Import()
    {
        var form = ImportHttp.Form(Mapping, await File.ReadAllBytesAsync(Path.Combine(Dataset, "sales_pipeline.csv")),
        [
            ("sales_teams", await File.ReadAllBytesAsync(Path.Combine(Dataset, "sales_teams.csv"))),
            ("accounts", await File.ReadAllBytesAsync(Path.Combine(Dataset, "accounts.csv"))),
        ]);
        var response = await app.Admin().PostAsync("/api/v1/imports/crm", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    private sealed record Stored(
        long Id, string Outcome, string ClosedOn, long? AmountCents, string? Currency, string? Region, string? Industry,
        string? Product, string? AccountName, string RepName, string RepEmail, string RepRole, long Version, long Reasons);

    private Stored Load(string dealId)
    {
        using var db = app.OpenDb();
        return db.QuerySingle<Stored>(
            """
            SELECT r.id AS Id, r.outcome AS Outcome, r.closed_on AS ClosedOn, r.amount_cents AS AmountCents, r.currency AS Currency,
                   r.region AS Region, r.industry AS Industry, r.product AS Product, r.account_name AS AccountName,
                   u.display_name AS RepName, u.email AS RepEmail, u.role AS RepRole, r.version AS Version,
                   (SELECT COUNT(*) FROM report_reasons WHERE report_id = r.id) AS Reasons
            FROM reports r JOIN users u ON u.id = r.rep_id WHERE r.deal_id = @dealId AND r.deleted_at IS NULL
            """, new { dealId });
    }

    [Fact]
    public async Task Importing_the_crm_sample_creates_won_and_lost_deals_skips_open_ones_and_reimport_changes_nothing()
    {
        var first = await Import();
        Assert.Equal(8800, first["rowsRead"]!.GetValue<long>());
        Assert.Equal(4238 + 2473, first["created"]!.GetValue<long>());
        Assert.Equal(0, first["updated"]!.GetValue<long>());
        Assert.Equal(2089, first["skipped"]!.GetValue<long>());
        Assert.Equal(2089, first["skippedBy"]!["open"]!.GetValue<long>());
        Assert.Equal(0, first["rejected"]!.GetValue<long>());
        Assert.Empty(first["errors"]!.AsArray());
        Assert.Equal(30, first["repsCreated"]!.GetValue<int>()); // 30 distinct sales agents in sales_pipeline.csv

        using (var db = app.OpenDb())
        {
            Assert.Equal(4238, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE outcome = 'won' AND deleted_at IS NULL"));
            Assert.Equal(2473, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE outcome = 'lost' AND deleted_at IS NULL"));
            Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deal_id IN ('HAXMC4IX')")); // Engaging: open
            Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE product = 'GTXPro'"));
            Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE industry = 'technolgy'"));
            // Reps created without keys.
            Assert.Equal(0, db.ExecuteScalar<long>(
                "SELECT COUNT(*) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email LIKE '%@crm-import.invalid'"));
        }

        // 1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,10/20/2016,3/1/2017,1054 ; Moses Frase → Central ; Cancity → retail
        var won = Load("1C1I7A6R");
        Assert.Equal(("won", "2017-03-01", 105400L, "USD"), (won.Outcome, won.ClosedOn, won.AmountCents, won.Currency));
        Assert.Equal(("Central", "retail", "GTX Plus Basic", "Cancity"), (won.Region, won.Industry, won.Product, won.AccountName));
        Assert.Equal(("Moses Frase", "moses.frase@crm-import.invalid", "rep"), (won.RepName, won.RepEmail, won.RepRole));

        // Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,10/25/2016,3/11/2017,4514 ; alias GTXPro → GTX Pro ; Isdom → medical
        var alias = Load("Z063OYW0");
        Assert.Equal(("GTX Pro", "medical", "Central", 451400L), (alias.Product, alias.Industry, alias.Region, alias.AmountCents));

        // 902REDPA,Daniell Hammack,GTXPro,Xx-zobam,Lost,11/7/2016,3/9/2017,0 ; Daniell Hammack → East ; Xx-zobam → entertainment
        var lost = Load("902REDPA");
        Assert.Equal(("lost", "2017-03-09", null, "East", "entertainment"), (lost.Outcome, lost.ClosedOn, lost.AmountCents, lost.Region, lost.Industry));
        Assert.Equal(0, lost.Reasons); // the CRM records no reason; none is invented

        // N4SD17JR,Reed Clapper,GTX Basic,Acme Corporation,Won,...,3/1/2017,556 ; Acme Corporation's sector is misspelled 'technolgy'
        var misspelled = Load("N4SD17JR");
        Assert.Equal(("technology", "East", 55600L), (misspelled.Industry, misspelled.Region, misspelled.AmountCents));

        var again = await Import();
        Assert.Equal(8800, again["rowsRead"]!.GetValue<long>());
        Assert.Equal(0, again["created"]!.GetValue<long>());
        Assert.Equal(0, again["updated"]!.GetValue<long>());
        Assert.Equal(6711, again["unchanged"]!.GetValue<long>());
        Assert.Equal(2089, again["skipped"]!.GetValue<long>());
        Assert.Equal(0, again["repsCreated"]!.GetValue<int>());
        Assert.Equal(1, Load("1C1I7A6R").Version);
        using (var db = app.OpenDb())
        {
            Assert.Equal(6711, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports"));
            Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'import.crm'"));
        }
    }
}
