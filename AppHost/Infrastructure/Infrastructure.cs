using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.AppHost.Infrastructure;

/// <summary>
/// The servers every service connects to, under one set of connection names (<c>nats</c>, <c>redis</c>, one per
/// PostgreSQL database) in either mode:
/// <list type="bullet">
/// <item>containers: the official images; chosen when a container runtime answers, and always when publishing;</item>
/// <item>local: Debian's nats-server and redis-server and the machine's PostgreSQL 15, started by eng/ scripts with
/// their data under <c>Infrastructure:DataDir</c> (a git-ignored folder of the checkout for <c>make run</c>).</item>
/// </list>
/// <c>Infrastructure:Mode</c> = auto | containers | local overrides the choice.
/// </summary>
public sealed class Infrastructure
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly string _dataDir;
    private readonly string _repoRoot;
    private IResourceBuilder<PostgresServerResource>? _postgresContainer;
    private IResourceBuilder<LocalPostgresResource>? _postgresLocal;
    private readonly List<string> _localDatabases = [];
    private readonly Dictionary<string, IResourceBuilder<ParameterResource>> _natsPasswords = [];
    private readonly Dictionary<string, string> _natsPlainPasswords = [];
    private IResourceBuilder<IResourceWithConnectionString>? _natsServer;
    private int _natsLocalPort;

    public bool UsesContainers { get; }

    /// <summary>Where local servers and generated dev secrets keep their data.</summary>
    public string DataDirectory => _dataDir;

    /// <summary>The gateway's fixed external port (8080 unless configured; 0 or empty lets the orchestrator choose).</summary>
    public int? GatewayPort { get; }

    private Infrastructure(IDistributedApplicationBuilder builder, bool useContainers)
    {
        _builder = builder;
        UsesContainers = useContainers;
        _repoRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        _dataDir = Path.GetFullPath(builder.Configuration["Infrastructure:DataDir"] is { Length: > 0 } dir
            ? Path.Combine(builder.AppHostDirectory, dir)
            : Path.Combine(_repoRoot, ".data"));
        GatewayPort = int.TryParse(builder.Configuration["Gateway:Port"], out var port) && port > 0 ? port : null;
    }

    public static Infrastructure Choose(IDistributedApplicationBuilder builder)
    {
        var mode = builder.Configuration["Infrastructure:Mode"]?.Trim().ToLowerInvariant() ?? "auto";
        bool containers = builder.ExecutionContext.IsPublishMode || mode switch
        {
            "containers" => true,
            "local" => false,
            "auto" or "" => ContainerRuntimeAnswers(),
            _ => throw new InvalidOperationException($"Infrastructure:Mode must be auto, containers or local, not '{mode}'."),
        };
        var infra = new Infrastructure(builder, containers);
        if (!builder.ExecutionContext.IsPublishMode)
            Console.WriteLine(containers
                ? "infrastructure: containers (a container runtime answered)"
                : $"infrastructure: local executables, data in {infra._dataDir}");
        return infra;
    }

    /// <summary>
    /// NATS with JetStream and one user per service (<see cref="NatsUsers"/>): a connection without credentials is
    /// refused. Each user's password is a secret parameter <c>nats-{user}-password</c> (generated on first start
    /// beside the local data, a deployment's own in the manifest); a service gets its user through
    /// <see cref="NatsConnectionString"/>. The resource's own connection string names no user: a reference to it
    /// alone connects nowhere.
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddNats(string name)
    {
        foreach (var user in NatsUsers.All) _natsPasswords[user.Name] = NatsPassword(user);

        if (UsesContainers)
        {
            // The official image without a shell cannot write a configuration file: the alpine one writes the users'
            // block (passed base64-encoded, so that no deployment tool reads its braces as placeholders) and starts
            // the server with it; the server reads each password from its environment (CS_NATS_PASSWORD_{USER}).
            var authorization = NatsUsers.Authorization(u => "$" + u.PasswordVariable);
            var container = _builder.AddResource(new NatsContainerResource(name))
                .WithImage("library/nats", "2.11-alpine")
                .WithEntrypoint("sh")
                .WithArgs("-c", ContainerNatsCommand)
                .WithEnvironment(NatsContainerResource.AuthorizationVariable,
                    Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(authorization)))
                .WithEndpoint(targetPort: 4222, name: NatsContainerResource.ClientEndpoint, scheme: "tcp")
                .WithHttpEndpoint(targetPort: 8222, name: "monitor")
                .WithHttpHealthCheck("/healthz", endpointName: "monitor")
                .WithVolume("nats-data", "/data");
            // Quoted: nats-server parses a variable's value as configuration, so an unquoted password that starts with
            // digits is a number, a size or a date ("58e9…", "12k…": the server does not start); quoted it is a string.
            foreach (var user in NatsUsers.All)
                container.WithEnvironment(user.PasswordVariable, ReferenceExpression.Create($"\"{_natsPasswords[user.Name].Resource}\""));
            _natsServer = container;
            return container;
        }

        int port = FreePort(), monitor = FreePort();
        _natsLocalPort = port;
        // The server's configuration holds bcrypt hashes only (eng/run-nats.sh writes it, mode 0600); the passwords
        // themselves stay in .data/nats-{user}.password for the AppHost. Without libcrypt: the passwords, same file mode.
        var hashes = NatsUsers.All.ToDictionary(u => u.Name, u => NatsUsers.Bcrypt(_natsPlainPasswords[u.Name]) ?? _natsPlainPasswords[u.Name]);
        var server = _builder.AddResource(new LocalServerResource(name, "bash", _repoRoot,
                ReferenceExpression.Create($"nats://127.0.0.1:{port.ToString()}")))
            .WithArgs("eng/run-nats.sh", port.ToString(), monitor.ToString(), Path.Combine(_dataDir, "nats"))
            .WithEnvironment("NATS_AUTHORIZATION", NatsUsers.Authorization(u => Quoted(hashes[u.Name])))
            .WithEndpoint(port: port, targetPort: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHttpEndpoint(port: monitor, targetPort: monitor, name: "monitor", isProxied: false)
            .WithHttpHealthCheck("/healthz", endpointName: "monitor");
        _natsServer = server;
        return server;
    }

    /// <summary>The container's command: the users' block from its environment into a file, then the server with it.</summary>
    public const string ContainerNatsCommand =
        "printf '%s' \"$" + NatsContainerResource.AuthorizationVariable + "\" | base64 -d > /tmp/nats-users.conf "
        + "&& exec nats-server -c /tmp/nats-users.conf -js -sd /data -m 8222";

    /// <summary>
    /// The <c>nats</c> connection string of one user, <c>nats://{user}:{password}@host:port</c>: the service connects
    /// as it, and ServiceDefaults' AddNats takes its inbox prefix (<c>_INBOX.{user}</c>) from it.
    /// </summary>
    public ReferenceExpression NatsConnectionString(string user)
    {
        NatsUsers.Named(user);
        if (_natsServer is null) throw new InvalidOperationException("AddNats first");
        var password = _natsPasswords[user].Resource;
        if (_natsServer.Resource is NatsContainerResource container)
        {
            var client = container.GetEndpoint(NatsContainerResource.ClientEndpoint);
            return ReferenceExpression.Create(
                $"nats://{user}:{password}@{client.Property(EndpointProperty.Host)}:{client.Property(EndpointProperty.Port)}");
        }
        return ReferenceExpression.Create($"nats://{user}:{password}@127.0.0.1:{_natsLocalPort.ToString()}");
    }

    private IResourceBuilder<ParameterResource> NatsPassword(NatsUser user)
    {
        var name = $"nats-{user.Name}-password";
        if (_builder.ExecutionContext.IsPublishMode) return _builder.AddParameter(name, secret: true);
        var value = _builder.Configuration[$"Parameters:{name}"] is { Length: > 0 } configured
            ? configured
            : GeneratedSecret($"nats-{user.Name}.password");
        _natsPlainPasswords[user.Name] = value;
        return _builder.AddParameter(name, value, secret: true);
    }

    private static string Quoted(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name)
    {
        if (UsesContainers)
            return _builder.AddRedis(name).WithDataVolume($"{name}-data").WithAppendOnlyFile();

        int port = FreePort();
        // Generated once beside the local data (never committed), as Aspire's container resource does for itself.
        var password = GeneratedSecret("redis.password");
        var healthCheck = $"{name}-ping";
        _builder.Services.AddHealthChecks().AddCheck(healthCheck, new RedisPingCheck(port, password));
        return _builder.AddResource(new LocalServerResource(name, "bash", _repoRoot,
                ReferenceExpression.Create($"127.0.0.1:{port.ToString()},password={password}")))
            .WithArgs("eng/run-redis.sh", port.ToString(), Path.Combine(_dataDir, "redis"))
            .WithEnvironment("REDIS_PASSWORD", password)
            .WithEndpoint(port: port, targetPort: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>RabbitMQ, for legacy systems that take commands over AMQP (the order system).</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMq(string name)
    {
        if (UsesContainers)
            return _builder.AddRabbitMQ(name).WithDataVolume($"{name}-data");

        int port = FreePort(), epmd = FreePort(), distribution = FreePort();
        var password = GeneratedSecret("rabbitmq.password");
        var healthCheck = $"{name}-amqp";
        _builder.Services.AddHealthChecks().AddCheck(healthCheck, new AmqpCheck(port));
        return _builder.AddResource(new LocalServerResource(name, "bash", _repoRoot,
                ReferenceExpression.Create($"amqp://cs:{password}@127.0.0.1:{port.ToString()}")))
            .WithArgs("eng/run-rabbitmq.sh", port.ToString(), epmd.ToString(), Path.Combine(_dataDir, "rabbitmq"))
            .WithEnvironment("RABBITMQ_USER", "cs")
            .WithEnvironment("RABBITMQ_PASSWORD", password)
            .WithEnvironment("RABBITMQ_DIST_PORT", distribution.ToString())
            .WithEndpoint(port: port, targetPort: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>The Java order-system simulator: REST on its own port, work orders over the given RabbitMQ.</summary>
    public Func<string, IResourceBuilder<ExecutableResource>> OrderSystemSimulator(IResourceBuilder<IResourceWithConnectionString> rabbitMq) => name =>
    {
        int port = FreePort();
        var simulator = _builder.AddExecutable(name, "java", _repoRoot, "adapters/Orders/simulator/OrderSystem.java", port.ToString())
            .WithArgs(ctx => ctx.Args.Add(new EndpointReference((IResourceWithEndpoints)rabbitMq.Resource, "tcp").Property(EndpointProperty.Port)))
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithHttpHealthCheck("/health")
            .WaitFor(rabbitMq);
        if (!UsesContainers)
            simulator.WithEnvironment("ORDER_SIM_AMQP_USER", "cs").WithEnvironment("ORDER_SIM_AMQP_PASSWORD", GeneratedSecret("rabbitmq.password"));
        return simulator;
    };

    /// <summary>A database on the one PostgreSQL server, named after its connection string.</summary>
    public InfrastructureReference AddPostgresDatabase(string name)
    {
        if (UsesContainers)
        {
            _postgresContainer ??= _builder.AddPostgres("postgres").WithDataVolume("postgres-data");
            var database = _postgresContainer.AddDatabase(name);
            return new InfrastructureReference(database, p => p.WithReference(database));
        }

        _postgresLocal ??= AddLocalPostgres();
        _localDatabases.Add(name);
        var server = _postgresLocal;
        return new InfrastructureReference(server, p => p.WithEnvironment($"ConnectionStrings__{name}",
            ReferenceExpression.Create($"{server.Resource.ConnectionStringExpression};Database={name}")));
    }

    private IResourceBuilder<LocalPostgresResource> AddLocalPostgres()
    {
        int port = FreePort();
        var password = PostgresPassword();
        var healthCheck = "postgres-databases";
        var connection = $"Host=127.0.0.1;Port={port};Username=postgres;Password={password}";
        _builder.Services.AddHealthChecks().AddCheck(healthCheck, new PostgresDatabasesCheck(connection, _localDatabases));
        return _builder.AddResource(new LocalPostgresResource("postgres", "bash", _repoRoot,
                ReferenceExpression.Create($"{connection}")))
            .WithArgs(ctx =>
            {
                ctx.Args.Add("eng/run-postgres.sh");
                ctx.Args.Add(port.ToString());
                ctx.Args.Add(Path.Combine(_dataDir, "postgres"));
                foreach (var db in _localDatabases) ctx.Args.Add(db);
            })
            .WithEnvironment("PGPASSWORD", password)
            .WithEndpoint(port: port, targetPort: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>
    /// The PHP CRM simulator (php -S on loopback) standing for the customer's own CRM in local runs; on a fixed,
    /// unproxied port so that a killed simulator comes back on the same address.
    /// </summary>
    public IResourceBuilder<ExecutableResource> CrmSimulator(string name)
    {
        int port = FreePort();
        return _builder.AddExecutable(name, "php", _repoRoot, "-S", $"127.0.0.1:{port}", "adapters/Crm/simulator/crm.php")
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithEnvironment("PHP_CLI_SERVER_WORKERS", "4")
            .WithHttpHealthCheck("/health");
    }

    private string PostgresPassword() => GeneratedSecret("postgres.password");

    /// <summary>Generated on first start and kept beside the data it protects; never committed.</summary>
    private string GeneratedSecret(string fileName)
    {
        Directory.CreateDirectory(_dataDir);
        var file = Path.Combine(_dataDir, fileName);
        if (File.Exists(file)) return File.ReadAllText(file).Trim();
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        File.WriteAllText(file, password);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return password;
    }

    private static bool ContainerRuntimeAnswers()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", "info")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (docker is null) return false;
            if (!docker.WaitForExit(TimeSpan.FromSeconds(5))) { docker.Kill(true); return false; }
            return docker.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no docker client at all
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A dependency a service references and waits for, whatever form it takes in the chosen mode.</summary>
public sealed record InfrastructureReference(IResourceBuilder<IResource> Resource, Action<IResourceBuilder<ProjectResource>> Reference);

/// <summary>
/// Hot conversation state (sequence numbers, latest messages) must survive a restart, not only a snapshot a minute
/// old: the container runs redis-server with an append-only file, fsynced every second, as local runs do
/// (eng/run-redis.sh). Aspire builds the server's command line as one <c>sh -c</c> string; this appends to it.
/// </summary>
internal static class RedisPersistence
{
    public static IResourceBuilder<RedisResource> WithAppendOnlyFile(this IResourceBuilder<RedisResource> redis) =>
        redis.WithArgs(context =>
        {
            for (int i = context.Args.Count - 1; i >= 0; i--)
                if (context.Args[i] is string command && command.StartsWith("redis-server", StringComparison.Ordinal))
                {
                    context.Args[i] = command + " --appendonly yes --appendfsync everysec";
                    return;
                }
            throw new InvalidOperationException("Aspire's Redis command line has changed: no redis-server command to add the append-only file to.");
        });
}
