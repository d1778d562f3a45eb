using Mediator;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>The message catalogue by id; <c>active=true|false</c> filters.</summary>
public sealed record ListCatalogMessages(bool? Active) : IQuery<CatalogMessageList>;

/// <summary>One catalogue message.</summary>
public sealed record GetCatalogMessage(string Id) : IQuery<CatalogMessageDto>;

public sealed class ListCatalogMessagesHandler(Db db) : IQueryHandler<ListCatalogMessages, CatalogMessageList>
{
    public async ValueTask<CatalogMessageList> Handle(ListCatalogMessages query, CancellationToken cancellationToken) =>
        new(await Catalogs.Messages.ListAsync(db, query.Active, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Messages.MapList(group, active => new ListCatalogMessages(active), id => new GetCatalogMessage(id),
            listEndpoint: ("ListCatalogMessages", "The message catalogue (active=true|false filters)"),
            getEndpoint: ("GetCatalogMessage", "One catalogue message"));
}

public sealed class GetCatalogMessageHandler(Db db) : IQueryHandler<GetCatalogMessage, CatalogMessageDto>
{
    public async ValueTask<CatalogMessageDto> Handle(GetCatalogMessage query, CancellationToken cancellationToken) =>
        await Catalogs.Messages.GetAsync(db, query.Id, cancellationToken);
}
