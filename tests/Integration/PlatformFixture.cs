using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Integration;

/// <summary>
/// The whole platform from the real AppHost, in local mode (Debian's nats-server and redis-server, the machine's
/// PostgreSQL) with a fresh temporary data directory, started once for every test in the collection.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cs-it-").FullName;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The platform's data directory (the dev signing key and internal key the AppHost generated are in it).</summary>
    public string DataDirectory => _dataDir;
    public DistributedApplicationModel Model => App.Services.GetRequiredService<DistributedApplicationModel>();

    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_dataDir, (UnixFileMode)0b111_101_101); // PostgreSQL runs as postgres inside it
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            // The local servers listen on the ports the AppHost chose for them (their scripts take the port as an
            // argument), so the testing builder must not move those endpoints elsewhere.
            "DcpPublisher:RandomizePorts=false",
            "Infrastructure:Mode=local",
            $"Infrastructure:DataDir={_dataDir}",
            "Gateway:Port=0",
            "Session:Replicas=2",
        ]);
        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        await Task.WhenAll(RunningResources.Select(r => App.ResourceNotifications.WaitForResourceHealthyAsync(r.Name, cts.Token)));
    }

    /// <summary>
    /// Every resource that runs: parameters have no health, and resources started only on request (Aspire's project
    /// rebuilders) never start in a test.
    /// </summary>
    public IEnumerable<IResource> RunningResources => Model.Resources
        .Where(r => r is not ParameterResource && !r.Annotations.OfType<ExplicitStartupAnnotation>().Any());

    public HttpClient Gateway() => App.CreateHttpClient("gateway", "http");

    /// <summary>The internal key the AppHost generated for this run: the gateway signs identity headers with it.</summary>
    public byte[] InternalKey() => Convert.FromBase64String(File.ReadAllText(Path.Combine(_dataDir, "internal-identity.key")).Trim());

    /// <summary>
    /// The platform's NATS as one of its users (AppHost's NatsUsers), with the password the AppHost generated for it:
    /// the server refuses a connection without one. Tests that watch events connect as <c>observer</c>.
    /// </summary>
    public async Task<string> NatsUrlAsync(string user = "observer")
    {
        var server = new Uri((await App.GetConnectionStringAsync("nats"))!);
        return $"nats://{user}:{NatsPassword(user)}@{server.Host}:{server.Port}";
    }

    /// <summary>Client options as <paramref name="user"/>, with the inbox prefix its permissions allow (<c>_INBOX.{user}</c>).</summary>
    public async Task<NATS.Client.Core.NatsOpts> NatsOptsAsync(string user = "observer") =>
        new() { Url = await NatsUrlAsync(user), InboxPrefix = $"_INBOX.{user}" };

    public string NatsPassword(string user) => File.ReadAllText(Path.Combine(_dataDir, $"nats-{user}.password")).Trim();

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
