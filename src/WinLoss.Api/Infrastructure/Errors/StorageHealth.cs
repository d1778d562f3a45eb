using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.Errors;

/// <summary>
/// Disk full, seen from the service: a write that fails with SQLITE_FULL or ENOSPC is answered 503 with Retry-After
/// (<see cref="ProblemDetailsExceptionHandler"/>), and readiness (/health/ready) fails while writes cannot succeed:
/// when the database's file system has less than <see cref="MinFreeBytes"/> available, or a write failed for lack of
/// space less than <see cref="Window"/> ago and no space has been freed since. Nothing needs a restart: the writer
/// reopens its connection after a failed batch, and readiness recovers as soon as space is back.
/// </summary>
public sealed class StorageHealth(Db db)
{
    public const long MinFreeBytes = 1024 * 1024;
    public const int RetryAfterSeconds = 30;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private DateTimeOffset? _fullAt;
    private long _freeAtFull;

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the disk is full: SQLITE_FULL, ENOSPC, ERROR_DISK_FULL.</summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (Dialect.Sqlite.IsDiskFull(ex) || Dialect.PostgreSql.IsDiskFull(ex)) return true; // SQLITE_FULL, PostgreSQL disk_full
            if (ex is IOException io)
            {
                var code = io.HResult & 0xFFFF;
                if (code is 28 or 0x70 or 0x27) return true; // ENOSPC; ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
                if (io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)) return true;
            }
        }
        return false;
    }

    /// <summary>Records that a write failed for lack of space (readiness fails until space is freed or the window passes).</summary>
    public void MarkFull()
    {
        var free = FreeBytes();
        lock (_lock)
        {
            _fullAt = DateTimeOffset.UtcNow;
            _freeAtFull = free ?? 0;
        }
    }

    /// <summary>Null when writes can go on; otherwise why they cannot.</summary>
    public string? Problem()
    {
        var free = FreeBytes();
        if (free is { } f && f < MinFreeBytes) return $"disk full: {f:N0} bytes available where the database is";
        lock (_lock)
        {
            if (_fullAt is not { } at) return null;
            if (DateTimeOffset.UtcNow - at >= Window || (free is { } now && now >= _freeAtFull + MinFreeBytes)) { _fullAt = null; return null; }
            return $"disk full: a write failed for lack of space at {at:O} and no space has been freed since";
        }
    }

    private long? FreeBytes()
    {
        try { return new DriveInfo(db.DataDirectory).AvailableFreeSpace; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }
}

/// <summary>503 with Retry-After: the disk is full; nothing (more) was stored. <paramref name="extensions"/> may say what was.</summary>
public sealed class StorageFullException(string detail, IDictionary<string, object?>? extensions = null, Exception? inner = null)
    : ProblemException(StatusCodes.Status503ServiceUnavailable, "Storage full", detail, extensions)
{
    public Exception? Fault { get; } = inner;
}
