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
            });
            o.AddServer(new OpenApiServer { Url = "http://localhost:5080", Description = "Local default" });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "API key: Authorization: Bearer wl_...",
            });
            o.OperationFilter<SecurityOperationFilter>();
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
        if (anonymous) { operation.Security = []; return; }
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] }];
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "Missing or invalid API key" });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "Your role may not do this" });
        operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Rate limit exceeded (WINLOSS_RATE_LIMIT per minute per key); see Retry-After" });
    }
}
