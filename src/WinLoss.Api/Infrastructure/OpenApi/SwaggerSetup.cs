using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace WinLoss.Api.Infrastructure.OpenApi;

public static class SwaggerSetup
{
    public static IServiceCollection AddWinLossSwagger(this IServiceCollection services) =>
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "WinLoss API",
                Version = "v1",
                Description = "Win/loss reports from the field, turned into competitor, objection and message trends with honest statistics.",
                License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
                Contact = new OpenApiContact { Name = "WinLoss engineering", Email = "engineering@winloss.example" },
            });
            // Relative to wherever the document was fetched from, so "Try it out" calls the origin the reader is on
            // (another host, port or a proxy) and stays inside the Content-Security-Policy's connect-src 'self'.
            o.AddServer(new OpenApiServer { Url = "/", Description = "This service (the origin serving this document)" });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "API key: Authorization: Bearer wl_...",
            });
            o.OperationFilter<SecurityOperationFilter>();
            o.DocumentFilter<TagDescriptionsFilter>();
            o.OperationFilter<MultipartBodyOperationFilter>();
            o.SupportNonNullableReferenceTypes();
            o.CustomSchemaIds(t => t.FullName!.Replace("WinLoss.Api.Features.", "").Replace("+", ".").Split('.').Last());
        });
}

/// <summary>Marks operations that need a key (everything outside /health) and documents 401/403 on them.</summary>
public sealed class SecurityOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var anonymous = context.ApiDescription.ActionDescriptor.EndpointMetadata
            .OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any();
        if (string.IsNullOrWhiteSpace(operation.Description)) operation.Description = operation.Summary;
        if (anonymous) { operation.Security = []; return; }
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] }];
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "Missing or invalid API key" });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "Your role may not do this" });
        operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Rate limit exceeded (WINLOSS_RATE_LIMIT per minute per key); see Retry-After" });
    }
}

/// <summary>One description per tag (area of the API).</summary>
public sealed class TagDescriptionsFilter : IDocumentFilter
{
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["Health"] = "Liveness and readiness probes (no key needed).",
        ["Reports"] = "Win/loss reports filed by reps: the write side.",
        ["Users"] = "Users, roles and API keys (admin).",
        ["Audit"] = "Who did what, when (admin).",
        ["Competitors"] = "Competitors, aliases, merges and the triage of unmatched names.",
        ["Taxonomy"] = "Reason and objection categories.",
        ["Catalog"] = "Marketing's message and collateral catalogue.",
        ["Trends"] = "Aggregated trends with sample sizes and 95% Wilson intervals: the read side.",
        ["Exports"] = "Streaming CSV and JSON Lines exports.",
        ["Imports"] = "Import of historical CRM opportunities.",
        ["Admin"] = "Operations: read-model rebuild.",
        ["Pages"] = "The web pages served by the service.",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var used = document.Paths.Values
            .SelectMany(p => p.Operations?.Values.AsEnumerable() ?? [])
            .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name)
            .Where(n => n is not null)
            .Distinct()
            .Order(StringComparer.Ordinal);
        document.Tags = new HashSet<OpenApiTag>(used.Select(n => new OpenApiTag
        {
            Name = n,
            Description = Descriptions.GetValueOrDefault(n!, n!),
        }));
    }
}
