using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace WinLoss.Api.Infrastructure.OpenApi;

/// <summary>
/// Documents a multipart/form-data request body whose parts the endpoint reads itself (streaming).
/// Unlike <c>.Accepts(...)</c> this is documentation only: it does not make routing answer 415 before
/// authentication has run (a caller without a key still gets 401).
/// </summary>
public sealed record MultipartBody(params (string Name, string Description, Type? Json, bool Required)[] Parts);

public sealed class MultipartBodyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var body = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<MultipartBody>().FirstOrDefault();
        if (body is null) return;
        var schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema>(), Required = new HashSet<string>() };
        var encoding = new Dictionary<string, OpenApiEncoding>();
        foreach (var part in body.Parts)
        {
            if (part.Json is { } type)
            {
                // A JSON part: its schema (a reference into components) and its content type.
                schema.Properties[part.Name] = context.SchemaGenerator.GenerateSchema(type, context.SchemaRepository);
                encoding[part.Name] = new OpenApiEncoding { ContentType = "application/json" };
            }
            else
                schema.Properties[part.Name] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = part.Description };
            if (part.Required) schema.Required.Add(part.Name);
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["multipart/form-data"] = new OpenApiMediaType { Schema = schema, Encoding = encoding },
            },
        };
    }
}
