using WinLoss.Api.Features.Competitors;

namespace WinLoss.Tests.Competitors;

/// <summary>Matching keys of real-world spellings, worked out by hand (lower-case, no accents, no punctuation or spaces,
/// web ending and trailing legal suffixes removed, initials joined).</summary>
public sealed class CompetitorNamesTests
{
    [Theory]
    [InlineData("Salesforce", "salesforce")]
    [InlineData("salesforce.com", "salesforce")]
    [InlineData("Salesforce.com, Inc.", "salesforce")]
    [InlineData("Sales Force, Inc.", "salesforce")]
    [InlineData("SALESFORCE", "salesforce")]
    [InlineData("https://www.salesforce.com/", "salesforce")]
    [InlineData("SFDC", "sfdc")]
    [InlineData("Salesforce CRM", "salesforcecrm")]
    [InlineData("Microsoft", "microsoft")]
    [InlineData("Microsoft Corp.", "microsoft")]
    [InlineData("Microsoft Corporation", "microsoft")]
    [InlineData("MSFT", "msft")]
    [InlineData("microsoft dynamics", "microsoftdynamics")]
    [InlineData("Microsoft Dynamics 365", "microsoftdynamics365")]
    [InlineData("HubSpot", "hubspot")]
    [InlineData("Hubspot, Inc.", "hubspot")]
    [InlineData("hubspot.co.uk", "hubspot")]
    [InlineData("SAP SE", "sap")]
    [InlineData("S.A.P.", "sap")]
    [InlineData("SAP AG", "sap")]
    [InlineData("ＳＡＰ", "sap")]
    [InlineData("Zoho Corp", "zoho")]
    [InlineData("Zoho Corporation Pvt. Ltd.", "zoho")]
    [InlineData("Société Générale", "societegenerale")]
    [InlineData("Societe Generale S.A.", "societegenerale")]
    [InlineData("SOCIÉTÉ GÉNÉRALE", "societegenerale")]
    [InlineData("Oracle Corporation", "oracle")]
    [InlineData("  ORACLE  ", "oracle")]
    [InlineData("Oracle\tCorp", "oracle")]
    [InlineData("Freshworks Inc", "freshworks")]
    [InlineData("Freshworks Inc.", "freshworks")]
    [InlineData("Pipedrive OÜ", "pipedrive")]
    [InlineData("Monday.com Ltd.", "monday")]
    [InlineData("Müller GmbH & Co. KG", "muller")]
    [InlineData("Procter & Gamble Co.", "procterandgamble")]
    [InlineData("Procter and Gamble", "procterandgamble")]
    [InlineData("AT&T Inc.", "atandt")]
    [InlineData("Nestlé S.A.", "nestle")]
    [InlineData("Ørsted A/S", "orsted")]
    [InlineData("Straße Software GmbH", "strassesoftware")]
    [InlineData("Dassault Systèmes SE", "dassaultsystemes")]
    [InlineData("The Trade Desk, Inc.", "tradedesk")]
    [InlineData("Coca-Cola Company", "cocacola")]
    [InlineData("I.B.M. Corp", "ibm")]
    [InlineData("3M Co.", "3m")]
    [InlineData("8x8, Inc.", "8x8")]
    [InlineData("Sage Group plc", "sagegroup")]
    [InlineData("Ltd Software Ltd", "ltdsoftware")]
    [InlineData("Inc.", "inc")]
    [InlineData("!!!", "")]
    [InlineData("", "")]
    public void Real_world_spellings_normalize_to_the_expected_key(string name, string key) =>
        Assert.Equal(key, CompetitorNames.Normalize(name));

    [Fact]
    public void Words_are_the_parts_of_the_key()
    {
        Assert.Equal(["microsoft", "dynamics", "365"], CompetitorNames.Words("Microsoft Dynamics 365, Inc."));
        Assert.Equal(["sap"], CompetitorNames.Words("S.A.P. SE"));
    }
}

/// <summary>Suggestion scores, with the expected numbers worked out by hand.</summary>
public sealed class MatchSuggestionsTests
{
    private static readonly MatchSuggestions.Name[] Known =
    [
        Name(1, "Salesforce", "Salesforce"),
        Name(1, "Salesforce", "SFDC"),
        Name(2, "Microsoft", "Microsoft"),
        Name(3, "HubSpot", "HubSpot"),
        Name(4, "Oracle", "Oracle"),
    ];

    private static MatchSuggestions.Name Name(long id, string name, string alias) =>
        new(id, name, alias, CompetitorNames.Normalize(alias), CompetitorNames.Words(alias));

    private static IReadOnlyList<MatchSuggestions.Suggestion> For(string name) =>
        MatchSuggestions.For(CompetitorNames.Normalize(name), CompetitorNames.Words(name), Known);

    [Fact]
    public void A_typo_suggests_the_competitor_first_with_its_edit_similarity()
    {
        // "salesforse" vs "salesforce": one substitution in 10 letters → 0.9
        var best = For("Salesforse")[0];
        Assert.Equal((1L, 0.9), (best.CompetitorId, best.Score));
    }

    [Fact]
    public void A_transposition_counts_as_one_edit()
    {
        // "hubsopt" vs "hubspot": one adjacent transposition in 7 → 1 − 1/7 = 0.857
        var best = For("Hubsopt")[0];
        Assert.Equal((3L, 0.857), (best.CompetitorId, best.Score));
    }

    [Fact]
    public void A_product_line_name_suggests_the_vendor_by_word_overlap()
    {
        // words [microsoft, dynamics, 365] vs [microsoft]: 1 match; dice 2/4 = 0.5, containment 1/1 → 0.25 + 0.45 = 0.7
        var best = For("Microsoft Dynamics 365")[0];
        Assert.Equal((2L, 0.7), (best.CompetitorId, best.Score));
    }

    [Fact]
    public void A_ticker_style_abbreviation_suggests_the_vendor()
    {
        // "msft" is a subsequence of "microsoft" starting with the same letter → 0.6
        var suggestions = For("MSFT");
        Assert.Equal((2L, 0.6), (suggestions[0].CompetitorId, suggestions[0].Score));
    }

    [Fact]
    public void An_unrelated_name_gets_no_suggestion() => Assert.Empty(For("Pipedrive"));
}
