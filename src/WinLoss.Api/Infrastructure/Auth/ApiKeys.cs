using System.Security.Cryptography;
using System.Text;

namespace WinLoss.Api.Infrastructure.Auth;

/// <summary>
/// API keys: "wl_" + 43 base64url characters (256 random bits from the OS CSPRNG). Only the SHA-256
/// of a key is stored; for 256-bit random secrets a fast hash is the right tool (nothing to brute-force).
/// </summary>
public static class ApiKeys
{
    public const string Prefix = "wl_";

    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The part shown in listings to recognise a key without revealing it.</summary>
    public static string DisplayPrefix(string key) => key.Length <= 10 ? key : key[..10];

    public static bool FixedTimeEquals(byte[] a, byte[] b) => CryptographicOperations.FixedTimeEquals(a, b);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
