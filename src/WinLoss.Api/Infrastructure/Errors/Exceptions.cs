namespace WinLoss.Api.Infrastructure.Errors;

/// <summary>A domain error that maps to one HTTP status and an RFC 9457 problem.</summary>
public class ProblemException(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
    public IDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();
}

public sealed class NotFoundException(string detail = "The resource does not exist or is not visible to you.")
    : ProblemException(StatusCodes.Status404NotFound, "Not found", detail);

public sealed class ConflictException(string detail, IDictionary<string, object?>? extensions = null)
    : ProblemException(StatusCodes.Status409Conflict, "Conflict", detail, extensions);

public sealed class ForbiddenException(string detail = "Your role may not do this.")
    : ProblemException(StatusCodes.Status403Forbidden, "Forbidden", detail);

public sealed class PreconditionFailedException(string detail)
    : ProblemException(StatusCodes.Status412PreconditionFailed, "Precondition failed", detail);

public sealed class PreconditionRequiredException(string detail)
    : ProblemException(StatusCodes.Status428PreconditionRequired, "Precondition required", detail);

public sealed class UnprocessableException(string detail)
    : ProblemException(StatusCodes.Status422UnprocessableEntity, "Unprocessable request", detail);

public sealed class PayloadTooLargeException(string detail)
    : ProblemException(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);

public sealed class UnsupportedMediaTypeException(string detail)
    : ProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

/// <summary>Helpers to raise FluentValidation-shaped 400s from handlers (checks that need the database).</summary>
public static class Invalid
{
    public static FluentValidation.ValidationException Field(string field, string message) =>
        new([new FluentValidation.Results.ValidationFailure(field, message)]);

    /// <summary>Marks a failure whose field is a JSON path as the client wrote it ("DEALID"): reported verbatim, not camel-cased.</summary>
    public static readonly object VerbatimPath = new();

    public static FluentValidation.ValidationException JsonPath(string path, string message) =>
        new([new FluentValidation.Results.ValidationFailure(path, message) { CustomState = VerbatimPath }]);
}
