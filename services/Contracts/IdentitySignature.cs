using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomerService.Contracts;

/// <summary>
/// The identity headers of one request as sent (X-CS-Name still percent-encoded), in the order of
/// <see cref="IdentityHeaders.All"/>; an absent header is null or empty.
/// </summary>
public readonly record struct IdentityHeaderValues(string? Tenant, string? User, string? Role, string? Name, string? SkillGroups, string? TokenVersion)
{
    /// <summary>True when at least one identity header is set.</summary>
    public bool Any => !string.IsNullOrEmpty(Tenant) || !string.IsNullOrEmpty(User) || !string.IsNullOrEmpty(Role)
                       || !string.IsNullOrEmpty(Name) || !string.IsNullOrEmpty(SkillGroups) || !string.IsNullOrEmpty(TokenVersion);
}

/// <summary>What a check of <see cref="IdentitySignature.Header"/> found.</summary>
public enum IdentitySignatureCheck
{
    Valid,
    /// <summary>Identity headers without a signature.</summary>
    Missing,
    /// <summary>Not <c>t=&lt;unix seconds&gt;,v1=&lt;base64url&gt;</c>.</summary>
    Malformed,
    /// <summary>The MAC does not match these headers under this key (forged, altered, or another deployment's key).</summary>
    Mismatch,
    /// <summary>A genuine signature, but its timestamp is further than <see cref="IdentitySignature.Window"/> from now (a replay, or clocks apart).</summary>
    Expired,
}

/// <summary>
/// How a service knows its X-CS-* identity headers come from the gateway: the gateway signs the identity it sets
/// with the deployment's internal key, and every service checks the signature before it believes any of them.
/// <code>X-CS-Identity-Signature: t=1767225600,v1=&lt;base64url(HMAC-SHA256(key, Canonical(t, identity)))&gt;</code>
/// The signed text (<see cref="Canonical"/>) is a version line, the timestamp, then the six identity headers in the
/// order of <see cref="IdentityHeaders.All"/>, one per line, empty when absent. Header values cannot hold a line
/// break, so the lines are unambiguous. A signature is good for <see cref="Window"/> either side of its timestamp.
/// </summary>
public static class IdentitySignature
{
    public const string Header = "X-CS-Identity-Signature";

    /// <summary>Configuration key of the internal key (base64, at least <see cref="MinimumKeyBytes"/> bytes), environment <c>Auth__InternalKey</c>.</summary>
    public const string KeyConfig = "Auth:InternalKey";
    public const int MinimumKeyBytes = 32;

    /// <summary>How far a signature's timestamp may be from the verifier's clock, either way.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private const string Version = "cs-identity-v1";
    private const int MacBytes = 32;
    private const int StackLimit = 1024;

    /// <summary>The X-CS-Identity-Signature value for <paramref name="identity"/> at <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentException">A value holds a line break (no HTTP header can carry one).</exception>
    public static string Sign(ReadOnlySpan<byte> key, in IdentityHeaderValues identity, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds();
        Span<byte> mac = stackalloc byte[MacBytes];
        if (!TryComputeMac(key, timestamp, identity, mac))
            throw new ArgumentException("An identity header value holds a line break.", nameof(identity));
        return string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Base64Url.EncodeToString(mac)}");
    }

    /// <summary>Checks <paramref name="signature"/> (the header's value, null when absent) against the identity headers of the same request.</summary>
    public static IdentitySignatureCheck Verify(ReadOnlySpan<byte> key, string? signature, in IdentityHeaderValues identity, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature)) return IdentitySignatureCheck.Missing;
        if (!TryParse(signature, out var timestamp, out var claimed)) return IdentitySignatureCheck.Malformed;
        Span<byte> expected = stackalloc byte[MacBytes];
        Span<byte> given = stackalloc byte[MacBytes];
        // IsValid first: TryDecodeFromChars throws on a character outside the alphabet.
        if (!TryComputeMac(key, timestamp, identity, expected)
            || !Base64Url.IsValid(claimed, out var length) || length != MacBytes
            || !Base64Url.TryDecodeFromChars(claimed, given, out _))
            return IdentitySignatureCheck.Malformed;
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return IdentitySignatureCheck.Mismatch;
        var age = now.ToUnixTimeSeconds() - timestamp;
        return Math.Abs(age) > (long)Window.TotalSeconds ? IdentitySignatureCheck.Expired : IdentitySignatureCheck.Valid;
    }

    /// <summary>The text the MAC is taken over: <c>cs-identity-v1\n{t}\n{tenant}\n{user}\n{role}\n{name}\n{skills}\n{token version}</c>.</summary>
    public static string Canonical(long timestamp, in IdentityHeaderValues identity)
    {
        var buffer = new byte[MaxCanonicalBytes(identity)];
        if (!TryWriteCanonical(timestamp, identity, buffer, out var written))
            throw new ArgumentException("An identity header value holds a line break.", nameof(identity));
        return Encoding.UTF8.GetString(buffer, 0, written);
    }

    private static bool TryComputeMac(ReadOnlySpan<byte> key, long timestamp, in IdentityHeaderValues identity, Span<byte> mac)
    {
        var max = MaxCanonicalBytes(identity);
        byte[]? rented = max > StackLimit ? ArrayPool<byte>.Shared.Rent(max) : null;
        try
        {
            Span<byte> buffer = rented is not null ? rented : stackalloc byte[StackLimit];
            if (!TryWriteCanonical(timestamp, identity, buffer, out var written)) return false;
            HMACSHA256.HashData(key, buffer[..written], mac);
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int MaxCanonicalBytes(in IdentityHeaderValues identity) =>
        Version.Length + 1 + 20 + 6
        + Encoding.UTF8.GetMaxByteCount((identity.Tenant?.Length ?? 0) + (identity.User?.Length ?? 0) + (identity.Role?.Length ?? 0)
                                        + (identity.Name?.Length ?? 0) + (identity.SkillGroups?.Length ?? 0) + (identity.TokenVersion?.Length ?? 0));

    private static bool TryWriteCanonical(long timestamp, in IdentityHeaderValues identity, Span<byte> buffer, out int written)
    {
        written = Encoding.ASCII.GetBytes(Version, buffer);
        buffer[written++] = (byte)'\n';
        if (!timestamp.TryFormat(buffer[written..], out var digits, provider: CultureInfo.InvariantCulture)) return false;
        written += digits;
        return Line(identity.Tenant, buffer, ref written) && Line(identity.User, buffer, ref written)
            && Line(identity.Role, buffer, ref written) && Line(identity.Name, buffer, ref written)
            && Line(identity.SkillGroups, buffer, ref written) && Line(identity.TokenVersion, buffer, ref written);
    }

    private static bool Line(string? value, Span<byte> buffer, ref int written)
    {
        buffer[written++] = (byte)'\n';
        if (string.IsNullOrEmpty(value)) return true;
        if (value.AsSpan().ContainsAny('\r', '\n')) return false;
        written += Encoding.UTF8.GetBytes(value, buffer[written..]);
        return true;
    }

    /// <summary><c>t=&lt;digits&gt;,v1=&lt;mac&gt;</c>, in that order, nothing else.</summary>
    private static bool TryParse(string signature, out long timestamp, out ReadOnlySpan<char> mac)
    {
        timestamp = 0;
        mac = default;
        var value = signature.AsSpan().Trim();
        var comma = value.IndexOf(',');
        if (comma < 0 || !value.StartsWith("t=") || !value[(comma + 1)..].StartsWith("v1=")) return false;
        mac = value[(comma + 4)..];
        return long.TryParse(value[2..comma], NumberStyles.None, CultureInfo.InvariantCulture, out timestamp) && mac.Length > 0;
    }
}
