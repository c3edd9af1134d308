using CustomerService.Contracts;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Auth;

/// <summary>How tokens are checked (configuration section <c>Auth</c>, shared with Admin which signs them).</summary>
public sealed class GatewayAuthOptions
{
    public const string Section = "Auth";
    public const int MinimumKeyBytes = 32;

    /// <summary>Base64 HMAC-SHA256 key of at least 32 bytes. Never committed: the AppHost passes Auth__SigningKey.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>
    /// Other keys tokens may be signed with, base64, comma-separated (Auth__AcceptedSigningKeys): during a rotation,
    /// the key Admin signs with next or signed with before, until the last token it signed has expired. Usually empty.
    /// </summary>
    public string AcceptedSigningKeys { get; set; } = "";

    /// <summary>
    /// Base64 key of at least 32 bytes the gateway signs the identity headers it sets with (Auth__InternalKey), the same
    /// in every service; required, since no service believes unsigned identity headers.
    /// </summary>
    public string InternalKey { get; set; } = "";

    /// <summary>Tolerated clock difference between Admin and the gateway when checking exp and nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The tenant whose admins run the platform (the gateway's blocklist); the same as Admin's Configuration:OperatorTenant.</summary>
    public string OperatorTenant { get; set; } = "platform";

    public byte[] KeyBytes() => Convert.FromBase64String(SigningKey.Trim());

    public IEnumerable<byte[]> AcceptedKeyBytes() =>
        AcceptedSigningKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Convert.FromBase64String);

    /// <summary>Every key a token may be signed with, each named by its kid (<see cref="PlatformClaims.KeyId"/>).</summary>
    public IReadOnlyList<Microsoft.IdentityModel.Tokens.SecurityKey> ValidationKeys() =>
        AcceptedKeyBytes().Prepend(KeyBytes()).DistinctBy(Convert.ToBase64String)
            .Select(k => (Microsoft.IdentityModel.Tokens.SecurityKey)new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(k) { KeyId = PlatformClaims.KeyId(k) })
            .ToArray();
}

internal sealed class GatewayAuthOptionsValidator : IValidateOptions<GatewayAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayAuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
            return ValidateOptionsResult.Fail(
                $"{PlatformClaims.SigningKeyConfig} is missing: set it (environment Auth__SigningKey) to the base64 key Admin signs with, " +
                $"at least {GatewayAuthOptions.MinimumKeyBytes} bytes. The AppHost generates one for local runs.");
        byte[] key;
        try { key = options.KeyBytes(); }
        catch (FormatException) { return ValidateOptionsResult.Fail($"{PlatformClaims.SigningKeyConfig} is not valid base64."); }
        if (key.Length < GatewayAuthOptions.MinimumKeyBytes)
            return ValidateOptionsResult.Fail(
                $"{PlatformClaims.SigningKeyConfig} has {key.Length} bytes; HMAC-SHA256 needs at least {GatewayAuthOptions.MinimumKeyBytes}.");
        try
        {
            if (options.AcceptedKeyBytes().FirstOrDefault(k => k.Length < GatewayAuthOptions.MinimumKeyBytes) is { } weak)
                return ValidateOptionsResult.Fail(
                    $"{PlatformClaims.AcceptedSigningKeysConfig}: a key has {weak.Length} bytes; HMAC-SHA256 needs at least {GatewayAuthOptions.MinimumKeyBytes}.");
        }
        catch (FormatException)
        {
            return ValidateOptionsResult.Fail($"{PlatformClaims.AcceptedSigningKeysConfig} must be base64 keys separated by commas.");
        }
        if (!Microsoft.Extensions.Hosting.InternalKey.TryDecode(options.InternalKey, out _, out var internalKeyProblem))
            return ValidateOptionsResult.Fail(internalKeyProblem);
        if (options.ClockSkew < TimeSpan.Zero) return ValidateOptionsResult.Fail("Auth:ClockSkew must not be negative.");
        return ValidateOptionsResult.Success;
    }
}
