using System.Globalization;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// Parses numeric query parameters ourselves so that "?limit=abc" is a 400 naming the parameter
/// (the framework's binder would answer with an unnamed 400).
/// </summary>
public static class QueryInt
{
    public static long? Long(string? value, string name) =>
        value is null ? null
        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
        : throw Invalid.Field(name, $"{name} must be an integer.");

    public static int? Int(string? value, string name) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
        : throw Invalid.Field(name, $"{name} must be an integer.");

    public static bool? Bool(string? value, string name) =>
        value is null ? null
        : bool.TryParse(value, out var v) ? v
        : throw Invalid.Field(name, $"{name} must be true or false.");
}
