using System.Security.Cryptography;

namespace CustomerService.AppHost.Infrastructure;

/// <summary>
/// The JWT signing key Admin signs with and the gateway validates with. Published deployments take it as a
/// secret parameter; local runs generate one on first start, beside the local data, never committed.
/// </summary>
public static class SigningKey
{
    public static IResourceBuilder<ParameterResource> AddSigningKey(this IDistributedApplicationBuilder builder, Infrastructure infra)
    {
        const string name = "jwt-signing-key";
        if (builder.ExecutionContext.IsPublishMode || builder.Configuration[$"Parameters:{name}"] is { Length: > 0 })
            return builder.AddParameter(name, secret: true);

        var file = Path.Combine(infra.DataDirectory, "jwt-signing.key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(infra.DataDirectory);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return builder.AddParameter(name, File.ReadAllText(file).Trim(), secret: true);
    }
}
