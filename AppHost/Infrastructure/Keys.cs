using System.Security.Cryptography;

namespace CustomerService.AppHost.Infrastructure;

/// <summary>
/// The deployment's secret keys. Published deployments take each as a secret parameter; local runs generate one on
/// first start, beside the local data, never committed.
/// </summary>
public static class Keys
{
    /// <summary>The JWT signing key Admin signs with and the gateway validates with.</summary>
    public static IResourceBuilder<ParameterResource> AddSigningKey(this IDistributedApplicationBuilder builder, Infrastructure infra) =>
        builder.AddGeneratedKey(infra, "jwt-signing-key", "jwt-signing.key");

    /// <summary>The internal key the gateway signs identity headers with and every service checks them with (docs/auth.md#internal-trust).</summary>
    public static IResourceBuilder<ParameterResource> AddInternalKey(this IDistributedApplicationBuilder builder, Infrastructure infra) =>
        builder.AddGeneratedKey(infra, "internal-identity-key", "internal-identity.key");

    /// <summary>Sets <paramref name="variable"/> to <paramref name="key"/> in every project resource added so far.</summary>
    public static void WithKeyInEveryService(this IDistributedApplicationBuilder builder, string variable, IResourceBuilder<ParameterResource> key)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
            builder.CreateResourceBuilder(project).WithEnvironment(variable, key);
    }

    private static IResourceBuilder<ParameterResource> AddGeneratedKey(this IDistributedApplicationBuilder builder, Infrastructure infra,
        string name, string fileName)
    {
        if (builder.ExecutionContext.IsPublishMode || builder.Configuration[$"Parameters:{name}"] is { Length: > 0 })
            return builder.AddParameter(name, secret: true);

        var file = Path.Combine(infra.DataDirectory, fileName);
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(infra.DataDirectory);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return builder.AddParameter(name, File.ReadAllText(file).Trim(), secret: true);
    }
}
