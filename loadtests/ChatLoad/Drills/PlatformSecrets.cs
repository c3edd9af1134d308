namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// Secrets a local platform generated into its data directory (AppHost's Infrastructure), found beside the signing
/// key the tool mints tokens with: the drills need Redis's password to read its settings and start it again.
/// </summary>
public static class PlatformSecrets
{
    public const string RedisPasswordFile = "redis.password";

    /// <summary>The password, or null when the platform's Redis has none (no such file).</summary>
    public static string? RedisPassword(string signingKeyFile)
    {
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(signingKeyFile))!, RedisPasswordFile);
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }
}
