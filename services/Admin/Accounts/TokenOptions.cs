using CustomerService.Contracts;
using Microsoft.Extensions.Options;

namespace CustomerService.Admin.Accounts;

/// <summary>How tokens are signed and how long they live (configuration section <c>Auth</c>).</summary>
public sealed class TokenOptions
{
    public const string Section = "Auth";

    /// <summary>Base64 HMAC-SHA256 key of at least 32 bytes, shared with the gateway. Never committed.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Agents, supervisors and admins: one working day.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Visitors: the widget asks for a new token with the same visitor id when this one runs out.</summary>
    public TimeSpan VisitorTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How often the revocations in force are announced again from PostgreSQL to Redis, in case one was missed
    /// (Redis down when it was made, restarted, flushed). Each one is announced at once when it is made.
    /// </summary>
    public TimeSpan RevocationResendInterval { get; set; } = TimeSpan.FromSeconds(30);

    public const int MinimumKeyBytes = 32;

    /// <summary>The key bytes, or why the configured value cannot be one.</summary>
    public static bool TryDecodeKey(string? base64, out byte[] key, out string problem)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(base64))
        {
            problem = $"{PlatformClaims.SigningKeyConfig} is missing: set it (environment Auth__SigningKey) to a base64 key of at least " +
                      $"{MinimumKeyBytes} bytes. The AppHost generates one for local runs; deployments pass it as a secret.";
            return false;
        }
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            problem = $"{PlatformClaims.SigningKeyConfig} is not valid base64.";
            return false;
        }
        problem = key.Length >= MinimumKeyBytes ? "" : $"{PlatformClaims.SigningKeyConfig} has {key.Length} bytes; HMAC-SHA256 needs at least {MinimumKeyBytes}.";
        return problem.Length == 0;
    }
}

internal sealed class TokenOptionsValidator : IValidateOptions<TokenOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        if (!TokenOptions.TryDecodeKey(options.SigningKey, out _, out var problem)) return ValidateOptionsResult.Fail(problem);
        if (options.TokenLifetime <= TimeSpan.Zero || options.VisitorTokenLifetime <= TimeSpan.Zero)
            return ValidateOptionsResult.Fail("Auth:TokenLifetime and Auth:VisitorTokenLifetime must be positive.");
        if (options.RevocationResendInterval <= TimeSpan.Zero) return ValidateOptionsResult.Fail("Auth:RevocationResendInterval must be positive.");
        return ValidateOptionsResult.Success;
    }
}
