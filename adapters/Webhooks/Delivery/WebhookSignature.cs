using System.Security.Cryptography;
using System.Text;

namespace CustomerService.Webhooks.Delivery;

/// <summary>
/// The headers of every POST and the signature: <c>X-CS-Signature: sha256=</c> lowercase hex of
/// HMAC-SHA256(secret as UTF-8, "{X-CS-Timestamp}.{body}") (docs/webhooks.md shows how to check it).
/// </summary>
public static class WebhookSignature
{
    public const string DeliveryHeader = "X-CS-Delivery";
    public const string EventHeader = "X-CS-Event";
    public const string TimestampHeader = "X-CS-Timestamp";
    public const string SignatureHeader = "X-CS-Signature";
    public const string AttemptHeader = "X-CS-Attempt";
    public const string Scheme = "sha256=";

    public static string Sign(string secret, long timestamp, string body) => Sign(secret, timestamp, Encoding.UTF8.GetBytes(body));

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Scheme + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>
    /// The X-CS-Signature value: the current secret's signature, and during a rotation's overlap the previous secret's
    /// after a comma (<c>sha256=&lt;new&gt;,sha256=&lt;previous&gt;</c>).
    /// </summary>
    public static string SignatureValue(string secret, string? previousSecret, long timestamp, ReadOnlySpan<byte> body) =>
        previousSecret is null ? Sign(secret, timestamp, body) : Sign(secret, timestamp, body) + "," + Sign(previousSecret, timestamp, body);

    /// <summary>
    /// What a receiver does: one of the comma-separated signatures is the MAC with its secret (constant-time), and the
    /// timestamp is within <paramref name="tolerance"/> of now.
    /// </summary>
    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp)
            || signatureHeader is null)
            return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        var found = false;
        foreach (var candidate in signatureHeader.Split(',', StringSplitOptions.TrimEntries))
            found |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate));
        return found;
    }
}
