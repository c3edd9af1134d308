namespace CustomerService.AppHost.Infrastructure;

/// <summary>A server run as a local executable through a script in eng/, with a fixed connection string.</summary>
public class LocalServerResource(string name, string command, string workingDirectory, ReferenceExpression connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; } = connectionString;
}

public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ReferenceExpression connectionString)
    : LocalServerResource(name, command, workingDirectory, connectionString);

/// <summary>The official NATS image with JetStream (Aspire.Hosting.Nats is not served here).</summary>
public sealed class NatsContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string ClientEndpoint = "tcp";

    /// <summary>The environment variable holding the users' configuration block, base64-encoded (Infrastructure.AddNats).</summary>
    public const string AuthorizationVariable = "CS_NATS_AUTHORIZATION";

    private EndpointReference Client => new(this, ClientEndpoint);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"nats://{Client.Property(EndpointProperty.Host)}:{Client.Property(EndpointProperty.Port)}");
}
