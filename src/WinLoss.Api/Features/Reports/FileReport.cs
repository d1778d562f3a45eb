using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using System.Data.Common;
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
/// The stored report and the 201 body: the UTF-8 JSON of version 1 exactly as stored in its version snapshot, sent as
/// is (serialized once, by the writer) and byte for byte the same on every replay of its Idempotency-Key.
/// </summary>
public sealed record FileReportResult(ReportDto Report, bool Replayed, byte[] Body);

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
    // The response of a key is its report's version-1 snapshot (keys stored before migration 0060 kept their own copy).
    private const string FindKeySql =
        """
        SELECT k.request_hash AS RequestHash, COALESCE(k.response_body, v.body) AS ResponseBody
        FROM idempotency_keys k JOIN report_versions v ON v.report_id = k.report_id AND v.version = 1
        WHERE k.user_id = @userId AND k.key = @key
        """;
    private const string StoreKeySql =
        "INSERT INTO idempotency_keys (user_id, key, request_hash, report_id, created_at) VALUES (@userId, @key, @hash, @reportId, @now)";
    private const string StoreKeyUnlessStoredSql = StoreKeySql + " ON CONFLICT DO NOTHING";
    private const string KeyExistsSql = "SELECT 1 FROM idempotency_keys WHERE user_id = @userId AND key = @key";
    public async ValueTask<FileReportResult> Handle(FileReport command, CancellationToken cancellationToken)
    {
        try
        {
            return await FileAsync(command, cancellationToken);
        }
        catch (DealTakenException taken)
        {
            throw taken.For(command.Caller);
        }
    }

    private async ValueTask<FileReportResult> FileAsync(FileReport command, CancellationToken cancellationToken)
    {
        var caller = command.Caller;
        var repId = ResolveRep(caller, command.Report.RepId);
        var prepared = ReportStore.Prepare(command.Report, repId); // on this thread: the writer only runs SQL
        // The jobs below change nothing but the database (and the batch's staged read-model deltas): repeatable.
        var key = command.IdempotencyKey;
        if (key is null)
            return await writer.ExecuteRepeatableAsync((c, t) => Insert(c, t, prepared, caller, repId), cancellationToken);

        if (!inFlight.TryEnter(caller.UserId, key))
            throw new ConflictException("A request with this Idempotency-Key is still being processed; retry shortly.");
        try
        {
            return await writer.ExecuteRepeatableAsync((c, t) =>
            {
                if (Dialect.Of(c).ChecksByInserting) return InsertThenStoreKey(c, t, prepared, caller, repId, key, command.RequestHash);
                // Checked inside the write transaction (not before it): a replay costs one cached lookup here,
                // and no extra read connection is needed for the common first attempt.
                if (c.Scalar<long?>(t, KeyExistsSql, new { userId = caller.UserId, key }) is not null)
                    return Replay(c.QuerySingle<StoredKey>(FindKeySql, new { userId = caller.UserId, key }, t), command.RequestHash);
                var filed = Insert(c, t, prepared, caller, repId);
                c.Exec(t, StoreKeySql, new { userId = caller.UserId, key, hash = command.RequestHash, reportId = filed.Report.Id, now = filed.Report.CreatedAt });
                return filed;
            }, cancellationToken);
        }
        finally
        {
            inFlight.Exit(caller.UserId, key);
        }
    }

    /// <summary>
    /// The keyed filing where reading before writing makes concurrent filings conflict (<see cref="Dialect.ChecksByInserting"/>):
    /// file, then store the key; a key already stored (or a deal already filed, as a replay of the same body is) rolls
    /// the filing back and answers from the stored key — the same outcomes as checking the key first.
    /// </summary>
    private static FileReportResult InsertThenStoreKey(DbConnection c, DbTransaction t, ReportStore.Prepared prepared, Caller caller,
        long repId, string key, byte[] requestHash)
    {
        t.Save("keyed");
        try
        {
            var filed = Insert(c, t, prepared, caller, repId);
            if (c.Exec(t, StoreKeyUnlessStoredSql, new { userId = caller.UserId, key, hash = requestHash, reportId = filed.Report.Id, now = filed.Report.CreatedAt }) == 1)
            {
                t.Release("keyed");
                return filed;
            }
        }
        catch (DealTakenException)
        {
            t.Rollback("keyed");
            if (c.QuerySingleOrDefault<StoredKey>(FindKeySql, new { userId = caller.UserId, key }, t) is { } earlier) return Replay(earlier, requestHash);
            throw;
        }
        t.Rollback("keyed");
        return Replay(c.QuerySingle<StoredKey>(FindKeySql, new { userId = caller.UserId, key }, t), requestHash);
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

    private static FileReportResult Insert(DbConnection c, DbTransaction t, ReportStore.Prepared prepared, Caller caller, long repId)
    {
        if (repId != caller.UserId) ReportStore.EnsureRep(c, t, repId);
        Coverage.ReportRequests.BeforeRepReport(c, t, prepared.Row.DealId, repId, caller.UserId); // a CRM import of this deal gives way
        var report = ReportStore.Insert(c, t, prepared, caller.UserId, Clock.Now(), out var json);
        ReportEvents.Written(c, t, report.Id);
        Webhooks.WebhookOutbox.ReportFiled(c, t, report);
        return new FileReportResult(report, false, json);
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
        input = input with { DealId = ReportRules.NormalizeDealId(input.DealId) };
        string? key = http.Request.Headers["Idempotency-Key"];
        var result = await sender.Send(new FileReport(input, Caller.From(http.User), key, SHA256.HashData(raw)), cancellationToken);
        var body = result.Body;
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
