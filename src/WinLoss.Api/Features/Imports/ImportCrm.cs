using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using System.Data.Common;
using Microsoft.Net.Http.Headers;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;
using WinLoss.Api.Infrastructure.OpenApi;

namespace WinLoss.Api.Features.Imports;

/// <summary>
/// Import historical opportunities from a CRM export. The CSV is read as a stream, one record at a time;
/// each row is mapped (see <see cref="CrmMapping"/>) and validated with the same rules as a filed report
/// (except that CRM lost deals may have no reason). Open deals are skipped and counted, bad rows are
/// reported {line, field, message}, good rows are written in batches of <see cref="ImportCrmHandler.BatchSize"/>
/// (one writer job each, which also updates the import's audit entry: committed rows and audit always agree).
/// A dealId repeated in one file is imported from its first valid row only; the others are row errors naming that line. Idempotent on dealId: a re-import creates nothing, identical rows stay unchanged,
/// changed rows become a new version of the same report (empty or unmapped fields keep their current values).
/// A deal that already has a report filed by a rep is never overwritten (skipped, counted).
/// </summary>
public sealed record ImportCrm(
    CrmMapping Mapping, IReadOnlyDictionary<string, LookupFile> Lookups, Stream File, string? FileName, Caller Caller)
    : ICommand<ImportResult>;

/// <summary>An uploaded lookup CSV (part lookup.NAME), held in memory: lookups are small dimension tables.</summary>
public sealed record LookupFile(string Name, IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows);

public sealed record ImportResult
{
    public long RowsRead { get; init; }
    public long Created { get; init; }
    public long Updated { get; init; }
    public long Unchanged { get; init; }
    public long Skipped { get; init; }
    public required ImportSkips SkippedBy { get; init; }
    public long Rejected { get; init; }
    public required IReadOnlyList<ImportError> Errors { get; init; }
    public bool ErrorsTruncated { get; init; }
    public int RepsCreated { get; init; }
}

/// <summary>Why rows were skipped: open deals; deals that already have a report filed in WinLoss; imported reports deleted since.</summary>
public sealed record ImportSkips(long Open, long ExistingReport, long Deleted);

public sealed record ImportError(long Line, string Field, string Message);

public sealed class ImportCrmValidator : AbstractValidator<ImportCrm>
{
    public ImportCrmValidator(CrmMappingValidator mapping) =>
        RuleFor(x => x).Custom((command, context) =>
        {
            foreach (var failure in mapping.Validate(command.Mapping).Errors) context.AddFailure(failure);
            foreach (var (name, map) in command.Mapping.Fields())
                if (map.Lookup is { } lookup && command.Mapping.Lookups?.ContainsKey(lookup) == true && !command.Lookups.ContainsKey(lookup))
                    context.AddFailure($"lookup.{lookup}", $"mapping.{name} uses lookup '{lookup}': upload it as the form part 'lookup.{lookup}'.");
        });
}

public sealed class ImportCrmHandler(Writer writer, ReportInputValidator reportValidator, StorageHealth storage) : ICommandHandler<ImportCrm, ImportResult>
{
    public const int BatchSize = 500;
    public const int MaxErrors = 200;

    private const string ImportedSql = "SELECT report_id AS ReportId, row_hash AS RowHash FROM crm_import_deals WHERE deal_id = @dealId";
    private const string LiveSql =
        "SELECT id AS Id, version AS Version, created_at AS CreatedAt, created_by AS CreatedBy FROM reports WHERE deal_id = @dealId AND deleted_at IS NULL";
    private const string InsertImportedSql =
        """
        INSERT INTO crm_import_deals (deal_id, report_id, row_hash, imported_at, imported_by)
        VALUES (@dealId, @reportId, @hash, @now, @by)
        ON CONFLICT (deal_id) DO UPDATE SET report_id = excluded.report_id, row_hash = excluded.row_hash,
            imported_at = excluded.imported_at, imported_by = excluded.imported_by
        """;
    private const string VersionBodySql = "SELECT body FROM report_versions WHERE report_id = @id AND version = @version";
    private const string FindRepSql = "SELECT id FROM users WHERE role = 'rep' AND display_name = @name COLLATE NOCASE ORDER BY id LIMIT 1";
    private const string EmailTakenSql = "SELECT COUNT(*) FROM users WHERE email = @email COLLATE NOCASE";
    private const string InsertRepSql =
        "INSERT INTO users (email, display_name, role, created_at) VALUES (@email, @name, 'rep', @now) RETURNING id";

    private const string InsertAuditSql =
        "INSERT INTO audit_log (at, user_id, role, action, target, details) VALUES (@at, @userId, @role, 'import.crm', '/api/v1/imports/crm', @details) RETURNING id";
    private const string UpdateAuditSql = "UPDATE audit_log SET details = @details WHERE id = @id";

    /// <summary>
    /// Reads the file and writes it in batches. Each batch's transaction also writes the import's one audit entry with the
    /// counts so far, so whatever is committed is exactly what the audit entry says, at every moment. When a batch fails
    /// (disk full...), the import stops and answers 503 with those same counts; sending the same file again completes it
    /// (rows already imported are unchanged).
    /// </summary>
    public async ValueTask<ImportResult> Handle(ImportCrm command, CancellationToken cancellationToken)
    {
        var run = new Run();
        var reps = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var audit = new AuditEntry(command);
        try
        {
            using var text = new StreamReader(command.File, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: true);
            var csv = new CsvReader(text);
            IReadOnlyList<string>? header;
            try { header = await csv.ReadAsync(cancellationToken); }
            catch (CsvFormatException ex) { throw Invalid.Field("file", $"Line {ex.Line}: {ex.Message}"); }
            if (header is null) throw Invalid.Field("file", "The file is empty: a header row is expected.");
            var plan = new RowPlan(command.Mapping, header.ToArray(), command.Lookups);

            var batch = new List<Parsed>(BatchSize);
            Task<BatchOutcome>? pending = null;
            while (true)
            {
                IReadOnlyList<string>? record;
                try { record = await csv.ReadAsync(cancellationToken); }
                catch (CsvFormatException ex)
                {
                    run.RowsRead++;
                    if (ex.Skipped) { run.Reject(new ImportError(ex.Line, "file", ex.Message)); continue; }
                    run.Reject(new ImportError(ex.Line, "file", ex.Message + " Reading stopped at this line."));
                    break;
                }
                if (record is null) break;
                if (IsBlank(record)) continue;
                run.RowsRead++;
                var line = csv.RecordLine;
                var parsed = plan.Parse(record, line, reportValidator, out var open, out var errors);
                if (open) { run.SkippedOpen++; continue; }
                if (errors.Count > 0) { run.Reject(errors); continue; }
                if (!seen.TryAdd(parsed!.Input.DealId!, line))
                {
                    run.Reject(new ImportError(line, "dealId",
                        $"dealId '{Trunc(parsed.Input.DealId!)}' is already on line {seen[parsed.Input.DealId!]} of this file: only that row is imported."));
                    continue;
                }
                batch.Add(parsed);
                if (batch.Count < BatchSize) continue;
                if (pending is not null) Merge(run, reps, await pending);
                pending = Write(batch, command, reps, audit, run.Result());
                batch = new List<Parsed>(BatchSize);
            }
            if (pending is not null) Merge(run, reps, await pending);
            Merge(run, reps, await Write(batch, command, reps, audit, run.Result(), completed: true));
            return run.Result();
        }
        catch (Exception ex) when (StorageHealth.IsDiskFull(ex))
        {
            storage.MarkFull();
            var committed = audit.Committed;
            throw new StorageFullException(
                "The server's disk filled up during the import. The rows counted in 'imported' were stored (the audit entry says the same); " +
                "nothing else was. Send the same file again once space is back: stored rows come back unchanged and the rest are imported.",
                new Dictionary<string, object?> { ["imported"] = committed ?? Run.Empty, ["auditId"] = audit.Id }, ex);
        }
    }

    private static string Trunc(string value) => value.Length <= 40 ? value : value[..40] + "…";

    /// <summary>The import's audit entry: written with the first batch, updated by each later one, in the batch's transaction.</summary>
    private sealed class AuditEntry(ImportCrm command)
    {
        private long? _written;
        public long? Id { get; private set; }
        /// <summary>The counts in the audit entry as last committed (null: no entry yet).</summary>
        public ImportResult? Committed { get; private set; }

        public void Write(DbConnection c, DbTransaction t, ImportResult result, bool completed)
        {
            var details = JsonSerializer.Serialize(new
            {
                file = command.FileName, result.RowsRead, result.Created, result.Updated, result.Unchanged, result.Skipped,
                result.Rejected, result.RepsCreated, completed,
            }, JsonBody.Options);
            if (Id is { } id) c.Execute(UpdateAuditSql, new { id, details }, t);
            else _written = c.ExecuteScalar<long>(InsertAuditSql, new { at = Clock.Now(), userId = command.Caller.UserId, role = command.Caller.Role, details }, t);
        }

        public void Committing(ImportResult result)
        {
            Id ??= _written;
            Committed = result;
        }
    }

    private static bool IsBlank(IReadOnlyList<string> record)
    {
        foreach (var field in record) if (!string.IsNullOrWhiteSpace(field)) return false;
        return true;
    }

    private static void Merge(Run run, Dictionary<string, long> reps, BatchOutcome outcome)
    {
        run.Created += outcome.Created;
        run.Updated += outcome.Updated;
        run.Unchanged += outcome.Unchanged;
        run.SkippedExisting += outcome.SkippedExisting;
        run.SkippedDeleted += outcome.SkippedDeleted;
        run.RepsCreated += outcome.NewReps.Count;
        foreach (var (name, id) in outcome.NewReps) reps[name] = id;
        foreach (var (name, id) in outcome.FoundReps) reps[name] = id;
        foreach (var error in outcome.Errors) run.Reject(error);
    }

    /// <summary>
    /// One writer job for a batch: each row in its own savepoint, so a row that fails is reported and the rest commit; then the
    /// import's audit entry with the counts including this batch (<paramref name="before"/> plus this batch's outcome).
    /// </summary>
    private Task<BatchOutcome> Write(List<Parsed> batch, ImportCrm command, IReadOnlyDictionary<string, long> reps, AuditEntry audit,
        ImportResult before, bool completed = false)
    {
        var done = writer.ExecuteAsync((c, t) =>
        {
            var outcome = new BatchOutcome();
            var now = Clock.Now();
            foreach (var row in batch)
            {
                var repId = ResolveRep(c, t, row.RepName, reps, outcome.FoundReps, outcome.NewReps, now);
                t.Save("crm_row");
                try
                {
                    WriteRow(c, t, row, repId, command, now, outcome);
                    t.Release("crm_row");
                }
                catch (Exception ex) when (ex is ValidationException or ProblemException)
                {
                    t.Rollback("crm_row");
                    t.Release("crm_row");
                    var (field, message) = ex is ValidationException v && v.Errors.FirstOrDefault() is { } f
                        ? (RowPlan.FieldOf(f.PropertyName), f.ErrorMessage)
                        : ("dealId", ex.Message);
                    outcome.Errors.Add(new ImportError(row.Line, field, message));
                }
            }
            outcome.Result = Run.Add(before, outcome);
            audit.Write(c, t, outcome.Result, completed);
            return outcome;
        });
        // The counts are "committed" once the job completes: the writer completes it after COMMIT is flushed to disk.
        return done.ContinueWith(task =>
        {
            if (task.IsCompletedSuccessfully) audit.Committing(task.Result.Result!);
            return task;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
    }

    private static void WriteRow(DbConnection c, DbTransaction t, Parsed row, long repId, ImportCrm command, string now, BatchOutcome outcome)
    {
        var dealId = row.Input.DealId!;
        var imported = c.QuerySingleOrDefault<ImportedRow>(ImportedSql, new { dealId }, t);
        var live = c.QuerySingleOrDefault<LiveRow>(LiveSql, new { dealId }, t);
        var by = command.Caller.UserId;
        Coverage.ReportRequests.Imported(c, t, row.Input, repId, by, now); // the deal is a known closed deal
        if (imported is null)
        {
            if (live is not null) { outcome.SkippedExisting++; return; }
            var report = ReportStore.Insert(c, t, row.Input, repId, by, now);
            ReportEvents.Written(c, t, report.Id);
            c.Execute(InsertImportedSql, new { dealId, reportId = report.Id, hash = row.Hash, now, by }, t);
            outcome.Created++;
            return;
        }
        if (live is null) { outcome.SkippedDeleted++; return; }
        if (live.Id != imported.ReportId) { outcome.SkippedExisting++; return; }
        if (CryptographicOperations.FixedTimeEquals(imported.RowHash, row.Hash)) { outcome.Unchanged++; return; }

        var body = c.ExecuteScalar<string>(VersionBodySql, new { id = live.Id, version = live.Version }, t);
        var current = body is null ? null : ReportJson.ReadVersion(body);
        var merged = current is null ? row.Input : RowPlan.Overlay(current, row.Input);
        ReportStore.Replace(c, t, live.Id, merged, repId, (int)live.Version + 1, live.CreatedAt, live.CreatedBy, by, now);
        ReportEvents.Written(c, t, live.Id);
        c.Execute(InsertImportedSql, new { dealId, reportId = live.Id, hash = row.Hash, now, by }, t);
        outcome.Updated++;
    }

    /// <summary>A rep by display name (case-insensitive); an unknown rep is created with role rep, no key, and an email under crm-import.invalid.</summary>
    private static long ResolveRep(DbConnection c, DbTransaction t, string name, IReadOnlyDictionary<string, long> known,
        Dictionary<string, long> found, Dictionary<string, long> created, string now)
    {
        if (known.TryGetValue(name, out var id) || found.TryGetValue(name, out id) || created.TryGetValue(name, out id)) return id;
        var existing = c.ExecuteScalar<long?>(FindRepSql, new { name }, t);
        if (existing is not null) { found[name] = existing.Value; return existing.Value; }
        var slug = Slug(name);
        var email = $"{slug}@crm-import.invalid";
        for (var n = 2; c.ExecuteScalar<long>(EmailTakenSql, new { email }, t) > 0; n++) email = $"{slug}.{n}@crm-import.invalid";
        id = c.ExecuteScalar<long>(InsertRepSql, new { email, name, now }, t);
        Infrastructure.ReadSide.ChangeLog.Record(c, t, Infrastructure.ReadSide.ChangeLog.User, id); // the read side's users (teams, names)
        created[name] = id;
        return id;
    }

    /// <summary>"Moses Frase" → "moses.frase" (ASCII letters and digits, dots between words).</summary>
    public static string Slug(string name)
    {
        var sb = new StringBuilder();
        foreach (var ch in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(ch)) sb.Append(ch);
            else if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark) continue;
            else if (sb.Length > 0 && sb[^1] != '.') sb.Append('.');
        }
        var slug = sb.ToString().Trim('.');
        return slug.Length == 0 ? "rep" : slug.Length > 48 ? slug[..48] : slug;
    }

    private sealed class ImportedRow { public long ReportId { get; init; } public byte[] RowHash { get; init; } = []; }
    private sealed class LiveRow { public long Id { get; init; } public long Version { get; init; } public string CreatedAt { get; init; } = ""; public long CreatedBy { get; init; } }

    private sealed class BatchOutcome
    {
        public long Created, Updated, Unchanged, SkippedExisting, SkippedDeleted;
        public ImportResult? Result;
        public readonly List<ImportError> Errors = [];
        public readonly Dictionary<string, long> NewReps = new(StringComparer.OrdinalIgnoreCase);
        public readonly Dictionary<string, long> FoundReps = new(StringComparer.OrdinalIgnoreCase);
    }

    private sealed class Run
    {
        public long RowsRead, Created, Updated, Unchanged, SkippedOpen, SkippedExisting, SkippedDeleted, Rejected;
        public int RepsCreated;
        private readonly List<ImportError> _errors = [];
        private bool _truncated;

        public void Reject(ImportError error) => Reject([error]);

        public void Reject(IReadOnlyList<ImportError> errors)
        {
            Rejected++;
            foreach (var e in errors)
                if (_errors.Count < MaxErrors) _errors.Add(e);
                else _truncated = true;
        }

        public static readonly ImportResult Empty = new Run().Result();

        /// <summary>The counts of <paramref name="before"/> with a batch's outcome added (what its audit entry records).</summary>
        public static ImportResult Add(ImportResult before, BatchOutcome outcome) => before with
        {
            Created = before.Created + outcome.Created,
            Updated = before.Updated + outcome.Updated,
            Unchanged = before.Unchanged + outcome.Unchanged,
            Skipped = before.Skipped + outcome.SkippedExisting + outcome.SkippedDeleted,
            SkippedBy = before.SkippedBy with
            {
                ExistingReport = before.SkippedBy.ExistingReport + outcome.SkippedExisting,
                Deleted = before.SkippedBy.Deleted + outcome.SkippedDeleted,
            },
            Rejected = before.Rejected + outcome.Errors.Count,
            RepsCreated = before.RepsCreated + outcome.NewReps.Count,
            Errors = [],
        };

        public ImportResult Result() => new()
        {
            RowsRead = RowsRead, Created = Created, Updated = Updated, Unchanged = Unchanged,
            Skipped = SkippedOpen + SkippedExisting + SkippedDeleted,
            SkippedBy = new ImportSkips(SkippedOpen, SkippedExisting, SkippedDeleted),
            Rejected = Rejected, Errors = _errors.ToList(), ErrorsTruncated = _truncated, RepsCreated = RepsCreated,
        };
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/crm", Endpoint)
            .WithName("ImportCrm")
            .WithSummary("Import CRM history (multipart: mapping, lookup.NAME files, file)")
            .WithDescription(
                "multipart/form-data with parts: 'mapping' (JSON, see the README for the schema), optional 'lookup.NAME' CSV files " +
                "used by mapping lookups, and 'file' (the CSV of opportunities; the whole upload is received before any row is written, so a cut " +
                "or malformed body is a 400 with nothing imported). Open deals (outcome values not " +
                "mapped to won/lost/no_decision) are skipped and counted; bad rows are reported {line, field, message} (first " +
                $"{MaxErrors}); good rows are imported in batches of {BatchSize}. Idempotent on dealId: re-importing creates nothing, " +
                "changed rows become a new report version. Unknown reps are created (role rep, no key). Lost deals may have no reason. A dealId " +
                "repeated in the file, a row with a different number of fields than the header, bytes that are not UTF-8 and a record over " +
                $"{CsvReader.DefaultMaxFields} fields or {CsvReader.DefaultMaxRecordLength} characters are row errors. Disk full: 503 with " +
                "Retry-After and the counts stored so far (the audit entry says the same); send the same file again to complete it.")
            .WithMetadata(new MultipartBody(
                ("mapping", "The column mapping (JSON). Each field is a column name or {column|value|lookup+on+column, values?, format?, separator?}; see the README.", typeof(CrmMapping), true),
                ("lookup.NAME", "Optional lookup CSVs, one part per lookup named in mapping.lookups (e.g. lookup.accounts).", null, false),
                ("file", "The CRM export (CSV, UTF-8, header row).", null, true)))
            .RequireAuthorization(Policies.ImportCrm)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private const long MaxUpload = 4L * 1024 * 1024 * 1024;
    private const int MaxLookupRows = 200_000;

    private static async Task<Ok<ImportResult>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = MaxUpload;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new UnsupportedMediaTypeException("Send multipart/form-data with parts 'mapping', 'file' and optional 'lookup.NAME'.");
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new UnsupportedMediaTypeException("The multipart/form-data content type needs a boundary.");

        var caller = Caller.From(http.User);
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        CrmMapping? mapping = null;
        var lookups = new Dictionary<string, LookupFile>(StringComparer.Ordinal);
        string? spool = null;
        string? fileName = null;
        try
        {
            MultipartSection? section;
            while ((section = await NextSection(reader, cancellationToken)) is not null)
            {
                var disposition = section.GetContentDispositionHeader();
                var name = disposition?.Name.Value ?? "";
                if (name == "mapping")
                {
                    if (mapping is not null) throw Invalid.Field("mapping", "Send one mapping part.");
                    mapping = CrmMapping.Parse(await ReadSmall(section.Body, 256 * 1024 + 1, cancellationToken));
                }
                else if (name.StartsWith("lookup.", StringComparison.Ordinal) && CrmMappingValidator.IsName(name["lookup.".Length..]))
                {
                    var lookupName = name["lookup.".Length..];
                    if (lookups.ContainsKey(lookupName)) throw Invalid.Field(name, "Send each lookup once.");
                    lookups[lookupName] = await ReadLookup(lookupName, section.Body, cancellationToken);
                }
                else if (name == "file")
                {
                    if (fileName is not null) throw Invalid.Field("file", "Send one file part.");
                    fileName = disposition?.FileName.Value ?? disposition?.FileNameStar.Value ?? "file";
                    // The whole upload is on disk before any row is written: a cut or malformed body is a 400 with
                    // nothing imported, never half an import.
                    spool = Path.GetTempFileName();
                    await Spool(section.Body, spool, cancellationToken);
                }
                else throw Invalid.Field(name.Length == 0 ? "multipart" : name, "Unknown part: send 'mapping', 'file' and optional 'lookup.NAME'.");
            }
            if (mapping is null) throw Invalid.Field("mapping", "The 'mapping' part (JSON) is required.");
            if (fileName is null) throw Invalid.Field("file", "The 'file' part (the CRM export CSV) is required.");
            await using var file = new FileStream(spool!, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
            return TypedResults.Ok(await sender.Send(new ImportCrm(mapping, lookups, file, fileName, caller), cancellationToken));
        }
        finally
        {
            if (spool is not null) File.Delete(spool);
        }
    }

    /// <summary>Copies a part to a file: a read that fails is a malformed body (400); a write that fails is the server's (disk full: 503).</summary>
    private static async Task Spool(Stream body, string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            try { read = await body.ReadAsync(buffer, cancellationToken); }
            catch (IOException ex) { throw Invalid.Field("multipart", "The multipart body is malformed or cut short: " + ex.Message + " Nothing was imported."); }
            catch (InvalidDataException ex) { throw Invalid.Field("multipart", "The multipart body is malformed: " + ex.Message + " Nothing was imported."); }
            if (read == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static async Task<MultipartSection?> NextSection(MultipartReader reader, CancellationToken cancellationToken)
    {
        try { return await reader.ReadNextSectionAsync(cancellationToken); }
        catch (IOException ex) { throw Invalid.Field("multipart", "The multipart body is malformed: " + ex.Message); }
        catch (InvalidDataException ex) { throw Invalid.Field("multipart", "The multipart body is malformed: " + ex.Message); }
    }

    private static async Task<byte[]> ReadSmall(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit) throw new PayloadTooLargeException($"The mapping may be at most {limit - 1} bytes.");
        }
        return buffer.ToArray();
    }

    private static async Task<LookupFile> ReadLookup(string name, Stream body, CancellationToken cancellationToken)
    {
        using var text = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var csv = new CsvReader(text, maxFieldLength: 64 * 1024);
        try
        {
            var header = await csv.ReadAsync(cancellationToken) ?? throw Invalid.Field($"lookup.{name}", "The lookup file is empty: a header row is expected.");
            var headerCopy = header.ToArray();
            var rows = new List<string[]>();
            while (await csv.ReadAsync(cancellationToken) is { } record)
            {
                if (rows.Count >= MaxLookupRows) throw Invalid.Field($"lookup.{name}", $"A lookup file may have at most {MaxLookupRows} rows.");
                rows.Add(record.ToArray());
            }
            return new LookupFile(name, headerCopy, rows);
        }
        catch (CsvFormatException ex)
        {
            throw Invalid.Field($"lookup.{name}", $"Line {ex.Line}: {ex.Message}");
        }
    }
}
