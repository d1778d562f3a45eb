using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.Data.Sqlite;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// File a win/loss report. With an Idempotency-Key: a retry with the same body returns the original
/// 201 (same id), the same key with another body is 422, a retry while the first is in flight is 409.
/// The key is stored in the same transaction as the report, so the promise survives a crash.
/// </summary>
public sealed record FileReport(ReportInput Report, Caller Caller, string? IdempotencyKey, byte[] RequestHash)
    : ICommand<FileReportResult>;

/// <summary>
/// The stored report; with an Idempotency-Key, <paramref name="Body"/> is the 201 body exactly as stored with the key (UTF-8
/// JSON), sent as is: serialized once, on first filing, and byte for byte the same on every replay.
/// </summary>
public sealed record FileReportResult(ReportDto Report, bool Replayed, byte[]? Body);

public sealed class FileReportValidator : AbstractValidator<FileReport>
{
    public FileReportValidator(ReportInputValidator report)
    {
        RuleFor(x => x).Custom((command, context) =>
        {
            foreach (var failure in report.Validate(command.Report).Errors) context.AddFailure(failure);
            if (command.IdempotencyKey is { } key && !IdempotencyKeys.IsValid(key))
                context.AddFailure("Idempotency-Key", "The Idempotency-Key header must be 1 to 255 visible ASCII characters.");
        });
    }
}

public sealed class FileReportHandler(Writer writer, IdempotencyKeys inFlight) : ICommandHandler<FileReport, FileReportResult>
{
    private const string FindKeySql =
        "SELECT request_hash AS RequestHash, response_body AS ResponseBody FROM idempotency_keys WHERE user_id = @userId AND key = @key";
    private const string StoreKeySql =
        """
        INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, location, created_at)
        VALUES (@userId, @key, @hash, 201, @body, @location, @now)
        """;
    private const string KeyExistsSql = "SELECT 1 FROM idempotency_keys WHERE user_id = @userId AND key = @key";
    public async ValueTask<FileReportResult> Handle(FileReport command, CancellationToken cancellationToken)
    {
        var caller = command.Caller;
        var repId = ResolveRep(caller, command.Report.RepId);
        var prepared = ReportStore.Prepare(command.Report, repId); // on this thread: the writer only runs SQL
        // The jobs below change nothing but the database (and the batch's staged read-model deltas): repeatable.
        var key = command.IdempotencyKey;
        if (key is null)
            return new FileReportResult(await writer.ExecuteRepeatableAsync((c, t) => Insert(c, t, prepared, caller, repId), cancellationToken), false, null);

        if (!inFlight.TryEnter(caller.UserId, key))
            throw new ConflictException("A request with this Idempotency-Key is still being processed; retry shortly.");
        try
        {
            return await writer.ExecuteRepeatableAsync((c, t) =>
            {
                // Checked inside the write transaction (not before it): a replay costs one cached lookup here,
                // and no extra read connection is needed for the common first attempt.
                if (c.Scalar<long?>(t, KeyExistsSql, new { userId = caller.UserId, key }) is not null)
                    return Replay(c.QuerySingle<StoredKey>(FindKeySql, new { userId = caller.UserId, key }, t), command.RequestHash);
                var report = Insert(c, t, prepared, caller, repId);
                var body = ReportJson.Utf8(report);
                c.Exec(t, StoreKeySql, new
                {
                    userId = caller.UserId, key, hash = command.RequestHash, body = new Utf8Text(body),
                    location = $"/api/v1/reports/{report.Id}", now = report.CreatedAt,
                });
                return new FileReportResult(report, false, body);
            }, cancellationToken);
        }
        finally
        {
            inFlight.Exit(caller.UserId, key);
        }
    }

    private static FileReportResult Replay(StoredKey stored, byte[] requestHash)
    {
        if (!CryptographicOperations.FixedTimeEquals(stored.RequestHash, requestHash))
            throw new UnprocessableException("This Idempotency-Key was already used with a different request body.");
        var body = System.Text.Encoding.UTF8.GetBytes(stored.ResponseBody);
        return new FileReportResult(JsonSerializer.Deserialize<ReportDto>(body, JsonBody.Options)!, true, body);
    }

    private static long ResolveRep(Caller caller, long? requested)
    {
        if (requested is null || requested == caller.UserId) return caller.UserId;
        if (!caller.CanActForOthers) throw new ForbiddenException("Only analysts and admins may file a report on behalf of a rep (repId).");
        return requested.Value;
    }

    private static ReportDto Insert(SqliteConnection c, SqliteTransaction t, ReportStore.Prepared prepared, Caller caller, long repId)
    {
        if (repId != caller.UserId) ReportStore.EnsureRep(c, t, repId);
        var report = ReportStore.Insert(c, t, prepared, caller.UserId, Clock.Now(), out var written);
        ReportEvents.Written(c, t, written);
        return report;
    }

    private sealed class StoredKey
    {
        public byte[] RequestHash { get; init; } = [];
        public string ResponseBody { get; init; } = "";
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("FileReport")
            .WithSummary("File a win/loss report")
            .WithDescription("One report per dealId (409 with a link to the first). Send an Idempotency-Key header to make retries safe.")
            .Accepts<ReportInput>("application/json")
            .Produces<ReportDto>(StatusCodes.Status201Created)
            .RequireAuthorization(Policies.FileReport)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static async Task Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, raw) = await JsonBody.ReadAsync<ReportInput>(http.Request, cancellationToken: cancellationToken);
        string? key = http.Request.Headers["Idempotency-Key"];
        var result = await sender.Send(new FileReport(input, Caller.From(http.User), key, SHA256.HashData(raw)), cancellationToken);
        var body = result.Body ?? ReportJson.Utf8(result.Report);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/api/v1/reports/{result.Report.Id}";
        response.Headers.ETag = ReportStore.ETag(result.Report.Id, result.Report.Version);
        if (result.Replayed) response.Headers["Idempotent-Replayed"] = "true";
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }
}

/// <summary>Idempotency keys being processed right now in this process (one SQLite writer ⇒ one process).</summary>
public sealed class IdempotencyKeys
{
    private readonly ConcurrentDictionary<(long, string), byte> _inFlight = new();

    public bool TryEnter(long userId, string key) => _inFlight.TryAdd((userId, key), 0);
    public void Exit(long userId, string key) => _inFlight.TryRemove((userId, key), out _);

    public static bool IsValid(string key) => key.Length is > 0 and <= 255 && key.All(ch => ch is >= '!' and <= '~');
}
