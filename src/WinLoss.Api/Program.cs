using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using WinLoss.Api.Features.AuditLog;
using WinLoss.Api.Features.BuyerFeedback;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Coverage;
using WinLoss.Api.Features.Exports;
using WinLoss.Api.Features.Health;
using WinLoss.Api.Features.Imports;
using WinLoss.Api.Features.Pages;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Features.Taxonomy;
using WinLoss.Api.Features.Users;
using WinLoss.Api.Features.Webhooks;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Behaviors;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;
using WinLoss.Api.Infrastructure.OpenApi;
using WinLoss.Api.Infrastructure.Options;
using WinLoss.Api.Infrastructure.ReadSide;

var builder = WebApplication.CreateBuilder(args);

if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
    builder.WebHost.UseUrls("http://localhost:5080");
builder.Logging.AddWinLossLogging();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.UseProblemBodiesForServerErrors()));

var settings = WinLossOptions.Load(builder.Configuration); // stops here, naming each bad WINLOSS_* setting
builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings));
builder.Services.AddSingleton(new Db(settings.Db, settings.DataDirectory));
builder.Services.AddSingleton<Writer>();
builder.Services.AddSingleton<KeyCache>();
builder.Services.AddSingleton<TaxonomyCache>();
builder.Services.AddSingleton<IdempotencyKeys>();
builder.Services.AddSingleton<StorageHealth>();
builder.Services.AddSingleton<Projection, ReportProjection>();
builder.Services.AddSingleton<Projection, UserProjection>();
builder.Services.AddSingleton<ReadStore>();
builder.Services.AddHostedService<ReadSideService>();
builder.Services.AddSingleton<Projection, ClosedDealProjection>().AddSingleton<CoverageFacts>().AddSingleton<TrendCoverage>();

builder.Services.AddMediator((MediatorOptions options) =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.Assemblies = [typeof(Program)];
    options.PipelineBehaviors = [typeof(ValidationBehavior<,>), typeof(ReadYourWritesBehavior<,>)];
});
builder.Services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton, includeInternalTypes: false);

builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
    ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path);
builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
});

builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization(Policies.Add);
builder.Services.AddWinLossRateLimiting(settings.RateLimitPerMinute);
builder.Services.AddBuyerFeedback(builder.Configuration);

builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddEndpointsApiExplorer();
builder.Services.AddWinLossSwagger();

var app = builder.Build();

var db = app.Services.GetRequiredService<Db>();
app.Logger.LogInformation("Database: {Database}", db.Description);
using (db.StartupLock()) // PostgreSQL: one instance at a time migrates, upgrades keys and creates the first admin
{
    Migrator.Migrate(db, app.Logger);
    await CompetitorKeys.EnsureCurrentAsync(db, app.Services.GetRequiredService<Writer>(), app.Logger);
    AdminBootstrap.EnsureAdmin(db, settings.AdminKey, app.Logger);
}

app.UseRequestLogging();
app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStaticFiles();
app.UseSwagger();
app.UseSwaggerUI();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapHealthEndpoints();
if (settings.Bench)
{
    // Baseline for scripts/bench.sh intake: same process and middleware, does nothing but answer 201.
    app.MapPost("/bench/bare", () => Results.StatusCode(StatusCodes.Status201Created)).ExcludeFromDescription().AllowAnonymous();
}
app.MapReportEndpoints();
app.MapUserEndpoints();
app.MapAuditEndpoints();
app.MapPageEndpoints();
app.MapCompetitorEndpoints();
app.MapTaxonomyEndpoints();
app.MapTrendEndpoints();
app.MapExportEndpoints();
app.MapImportEndpoints();
app.MapBuyerFeedbackEndpoints();
app.MapWebhookEndpoints();
app.MapCoverageEndpoints();

app.Run();
