using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>Catalogue collateral: uses (deals) and win rate when used; items never used are listed with uses 0.</summary>
public sealed record GetCollateralTrend(TrendParameters Parameters) : IQuery<CollateralTrend>;

public sealed record CollateralTrend(string? From, string? To, int MinSample, IReadOnlyList<CollateralTrendRow> Rows, string? AsOf);

public sealed record CollateralTrendRow(string CollateralId, string Title, bool Active, long Uses, TrendRate WinRateWhenUsed);

public sealed class GetCollateralTrendValidator : AbstractValidator<GetCollateralTrend>
{
    public GetCollateralTrendValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetCollateralTrendHandler(Db db, ReadStore read) : IQueryHandler<GetCollateralTrend, CollateralTrend>
{
    private const string CatalogSql = "SELECT id AS Id, title AS Title, active AS Active FROM catalog_collateral ORDER BY id";

    public async ValueTask<CollateralTrend> Handle(GetCollateralTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var data = TrendFactsQuery.Read(duck, f, new FactRequest(new CollateralFacts()));
        var used = data.Of(Kinds.Collateral).GroupBy(x => x.K1).ToDictionary(g => g.Key, g => g.ToList());
        await using var c = await db.OpenAsync(cancellationToken);
        var catalog = await Dapper.SqlMapper.QueryAsync<(string Id, string Title, bool Active)>(c, new Dapper.CommandDefinition(CatalogSql, cancellationToken: cancellationToken));
        var rows = catalog.Select(item =>
        {
            var l = used.GetValueOrDefault(item.Id) ?? [];
            long uses = l.Sum(x => x.C[0]), won = l.Where(x => x.K2 == "won").Sum(x => x.C[0]), lost = l.Where(x => x.K2 == "lost").Sum(x => x.C[0]);
            return new CollateralTrendRow(item.Id, item.Title, item.Active, uses, TrendRate.Of(won, won + lost, f.MinSample));
        }).OrderByDescending(r => r.Uses).ThenBy(r => r.CollateralId, StringComparer.Ordinal).ToList();
        return new CollateralTrend(TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, rows, asOf);
    }

    public static readonly string[] CsvColumns = ["collateralId", "title", "active", "uses", "winRateWhenUsed", "winRateN", "winRateLow", "winRateHigh", "winRateLowSample"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/collateral", Endpoint).AsTrend<CollateralTrend>("GetCollateralTrend",
            "Collateral uses and win rate when used; unused items listed with uses 0 (format=csv for a file)", CsvColumns);

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetCollateralTrend(parameters), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("collateral-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.CollateralId).Text(r.Title).Bool(r.Active).Number(r.Uses)
                    .Number(r.WinRateWhenUsed.Value).Number(r.WinRateWhenUsed.N).Number(r.WinRateWhenUsed.Ci95?[0]).Number(r.WinRateWhenUsed.Ci95?[1]).Bool(r.WinRateWhenUsed.LowSample);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
