using System.Net;
using System.Net.Sockets;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// Server-side request forgery guard. A webhook may not reach the service's own machine or network: loopback,
/// private (RFC 1918, unique-local), carrier-grade NAT, link-local (which holds the cloud metadata endpoints
/// 169.254.169.254 and fd00:ec2::254), multicast, unspecified, documentation and reserved ranges. The name is resolved
/// and every address checked — when the URL is registered, and again at each connection (the HTTP client's connect
/// callback), so a DNS answer that changes after registration (rebinding) is caught. Redirects are not followed (a 3xx
/// is a failed attempt, as the Standard Webhooks spec recommends), so a redirect cannot lead inside either.
/// WINLOSS_WEBHOOKS_ALLOW_PRIVATE=true turns the guard off (tests with a local receiver, on-premise receivers).
/// </summary>
public static class WebhookTargets
{
    /// <summary>True when <paramref name="address"/> is a public unicast address a webhook may be sent to.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return IsPublic(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0                                   // 0.0.0.0/8 "this network"
                || b[0] == 10                                    // 10/8 private
                || (b[0] == 100 && (b[1] & 0xC0) == 64)          // 100.64/10 carrier-grade NAT
                || b[0] == 127                                   // loopback
                || (b[0] == 169 && b[1] == 254)                  // link-local, cloud metadata
                || (b[0] == 172 && (b[1] & 0xF0) == 16)          // 172.16/12 private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // 192.0.0/24 IETF protocol assignments
                || (b[0] == 192 && b[1] == 0 && b[2] == 2)       // TEST-NET-1
                || (b[0] == 192 && b[1] == 168)                  // 192.168/16 private
                || (b[0] == 198 && (b[1] & 0xFE) == 18)          // 198.18/15 benchmarking
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)    // TEST-NET-2
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)     // TEST-NET-3
                || b[0] >= 224);                                 // multicast, reserved, broadcast
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6None.Equals(address)) return false;
            var b = address.GetAddressBytes();
            if ((b[0] & 0xFE) == 0xFC) return false;                     // fc00::/7 unique local (incl. fd00:ec2::254)
            if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return false;     // fe80::/10 link-local
            if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return false;     // fec0::/10 site-local (deprecated)
            if (b[0] == 0xFF) return false;                              // multicast
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return false; // 2001:db8::/32 documentation
            if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)                  // 64:ff9b::/96 NAT64: the IPv4 inside
                return IsPublic(new IPAddress(b.AsSpan(12, 4)));
            if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return false; // ::/96 (unspecified, IPv4-compatible)
            if (b[0] == 0x20 && b[1] == 0x02)                                 // 2002::/16 6to4: the IPv4 inside
                return IsPublic(new IPAddress(b.AsSpan(2, 4)));
            return true;
        }
        return false;
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and returns its addresses, or throws <see cref="WebhookTargetRefusedException"/>
    /// when any of them is not public (and private targets are not allowed) or the name does not resolve.
    /// </summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, bool allowPrivate, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new WebhookTargetRefusedException($"The host name '{host}' does not resolve ({ex.SocketErrorCode}).");
            }
            catch (ArgumentException)
            {
                throw new WebhookTargetRefusedException($"'{host}' is not a valid host name.");
            }
        }
        if (addresses.Length == 0) throw new WebhookTargetRefusedException($"The host name '{host}' has no addresses.");
        if (!allowPrivate && addresses.FirstOrDefault(a => !IsPublic(a)) is { } refused)
            throw new WebhookTargetRefusedException(
                $"'{host}' resolves to {refused}, a loopback, private, link-local or reserved address; webhooks may only target public addresses.");
        return addresses;
    }

    /// <summary>
    /// The HTTP client's connect step: resolve, check every address, connect to the first that answers. The request
    /// therefore goes to an address that was checked in this very connection (no gap for DNS rebinding).
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivate) =>
        async (context, cancellationToken) =>
        {
            var addresses = await ResolveAsync(context.DnsEndPoint.Host, allowPrivate, cancellationToken);
            Exception? last = null;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
            }
            throw new HttpRequestException($"Could not connect to {context.DnsEndPoint.Host}: {last?.Message}", last);
        };
}

/// <summary>The target of a webhook is not allowed (SSRF guard) or cannot be resolved.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);
