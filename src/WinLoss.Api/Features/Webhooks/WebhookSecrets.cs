using System.Security.Cryptography;
using System.Text;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// Webhook signing keys must be recoverable (the service signs with them on every attempt), so unlike API keys they
/// cannot be stored as a hash. They are stored encrypted with AES-256-GCM under a master key that is not in the
/// database: <c>WINLOSS_SECRETS_KEY</c> (base64 of 32 bytes) when set, else the file <c>secrets.key</c> next to the
/// database, created on first use with mode 0600. A copy of the database alone (a backup, an export of the file)
/// does not reveal any signing key. Stored form: version byte 1 ‖ 12-byte nonce ‖ 16-byte tag ‖ ciphertext.
/// </summary>
public sealed class WebhookSecrets
{
    private static readonly byte[] Context = Encoding.ASCII.GetBytes("winloss/webhook-signing-key/v1");
    private readonly Lazy<byte[]> _masterKey;

    public WebhookSecrets(Db db, IConfiguration configuration) =>
        _masterKey = new Lazy<byte[]>(() => LoadMasterKey(db.DataDirectory,
            configuration["WINLOSS_SECRETS_KEY"] ?? Environment.GetEnvironmentVariable("WINLOSS_SECRETS_KEY")));

    public byte[] Protect(byte[] key)
    {
        var output = new byte[1 + 12 + 16 + key.Length];
        output[0] = 1;
        var nonce = output.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_masterKey.Value, 16);
        aes.Encrypt(nonce, key, output.AsSpan(29), output.AsSpan(13, 16), Context);
        return output;
    }

    public byte[] Unprotect(byte[] stored)
    {
        if (stored.Length < 29 || stored[0] != 1) throw new CryptographicException("Unknown webhook secret format.");
        var key = new byte[stored.Length - 29];
        using var aes = new AesGcm(_masterKey.Value, 16);
        aes.Decrypt(stored.AsSpan(1, 12), stored.AsSpan(29), stored.AsSpan(13, 16), key, Context);
        return key;
    }

    private static byte[] LoadMasterKey(string dataDirectory, string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var key = Convert.FromBase64String(configured.Trim());
            return key.Length == 32 ? key : throw new InvalidOperationException("WINLOSS_SECRETS_KEY must be the base64 of 32 bytes.");
        }
        var path = Path.Combine(dataDirectory, "secrets.key");
        if (File.Exists(path)) return Convert.FromBase64String(File.ReadAllText(path).Trim());
        var created = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(path, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(Convert.ToBase64String(created));
            return created;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim()); // another process created it first
        }
    }
}
