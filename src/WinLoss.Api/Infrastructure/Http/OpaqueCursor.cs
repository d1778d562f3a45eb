using System.Globalization;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>Opaque cursors: base64url of "tag:id".</summary>
public static class OpaqueCursor
{
    public static string Encode(string tag, long id) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(tag + ":" + id.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static long? Decode(string cursor, string tag)
    {
        try
        {
            var s = cursor.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(s));
            return text.StartsWith(tag + ":", StringComparison.Ordinal)
                && long.TryParse(text[(tag.Length + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
