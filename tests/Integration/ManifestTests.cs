using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using CustomerService.AppHost.Infrastructure;
using CustomerService.TestInfrastructure;
using NATS.Client.Core;

namespace CustomerService.Integration;

/// <summary>aspire-manifest.json is what deployments are made from: it must be what the AppHost publishes now.</summary>
public sealed class ManifestTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CustomerService.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public async Task The_committed_manifest_is_what_the_AppHost_publishes()
    {
        var root = RepoRoot();
        // Written beside the committed one so that relative project paths come out the same.
        var fresh = Path.Combine(root, "aspire-manifest.check.json");
        try
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var info = new ProcessStartInfo("dotnet", ["run", "--no-build", "-c", configuration, "--no-launch-profile",
                "--", "--publisher", "manifest", "--output-path", fresh])
            {
                WorkingDirectory = Path.Combine(root, "AppHost"), RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(process.ExitCode == 0, await output + await errors);

            var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root, "aspire-manifest.json")));
            var published = JsonNode.Parse(await File.ReadAllTextAsync(fresh));
            Assert.True(JsonNode.DeepEquals(committed, published),
                "aspire-manifest.json is stale: run `make manifest` and commit it.\n" + published!.ToJsonString());
        }
        finally
        {
            File.Delete(fresh);
        }
    }

    [Fact]
    public async Task The_manifest_lists_every_service_each_adapter_and_the_infrastructure_as_containers()
    {
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "aspire-manifest.json")))!["resources"]!.AsObject();
        foreach (var service in new[] { "gateway", "session", "routing", "bot", "historywriter", "admin", "crm", "orders", "webhooks" })
            Assert.Equal("project.v0", (string?)manifest[service]?["type"]);
        foreach (var server in new[] { "nats", "redis", "postgres" })
            Assert.Equal("container.v0", (string?)manifest[server]?["type"]);
        Assert.DoesNotContain(manifest, r => r.Key.EndsWith("-sim", StringComparison.Ordinal)); // simulators stand for the customer's systems
    }

    [Fact]
    public async Task Redis_in_containers_keeps_an_append_only_file()
    {
        // Sequence numbers live in Redis: a snapshot a minute old would hand numbers out again after a restart.
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "aspire-manifest.json")))!["resources"]!.AsObject();
        var command = string.Join(' ', manifest["redis"]!["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains("--appendonly yes", command);
        Assert.Contains("--appendfsync everysec", command);
    }

    private static async Task<JsonObject> ResourcesAsync() =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "aspire-manifest.json")))!["resources"]!.AsObject();

    [Fact]
    public async Task NATS_in_containers_has_a_user_per_service_and_each_service_connects_as_its_own()
    {
        var manifest = await ResourcesAsync();
        var nats = manifest["nats"]!;
        foreach (var service in new[] { "admin", "bot", "crm", "historywriter", "orders", "session", "webhooks" })
        {
            Assert.Equal($"nats://{service}:{{nats-{service}-password.value}}@{{nats.bindings.tcp.host}}:{{nats.bindings.tcp.port}}",
                (string?)manifest[service]!["env"]!["ConnectionStrings__nats"]);
            // Quoted, so that nats-server reads it as a string whatever its characters (the test below).
            Assert.Equal($"\"{{nats-{service}-password.value}}\"",
                (string?)nats["env"]![NatsUsers.Named(service).PasswordVariable]);
            // A secret parameter the deployment supplies, like the signing key: no password is in the manifest.
            Assert.True((bool?)manifest[$"nats-{service}-password"]!["inputs"]!["value"]!["secret"]);
        }
        // Services without a NATS client get no NATS credentials; nothing gets the user-less server reference.
        foreach (var service in new[] { "routing", "gateway", "web" })
            Assert.Null(manifest[service]!["env"]!["ConnectionStrings__nats"]);
        Assert.DoesNotContain(manifest, r => r.Value?["env"]?.AsObject().Any(e => (string?)e.Value == "{nats.connectionString}") == true);
    }

    /// <summary>
    /// The containers' NATS configuration, as the manifest carries it, run by this machine's nats-server (2.9; the
    /// image is 2.11) with the passwords in its environment as the container gets them: it must parse, refuse a
    /// connection without a user and let each user in with its own password only.
    /// </summary>
    [Fact]
    public async Task The_containers_NATS_configuration_refuses_anonymous_connections_and_admits_each_user_with_its_password()
    {
        var nats = (await ResourcesAsync())["nats"]!;
        Assert.Contains("nats-server -c /tmp/nats-users.conf", string.Join(' ', nats["args"]!.AsArray().Select(a => (string?)a)));
        var authorization = Encoding.UTF8.GetString(
            Convert.FromBase64String((string)nats["env"]![NatsContainerResource.AuthorizationVariable]!));
        // URL-safe passwords as a deployment may choose them, each starting with what nats-server would read as
        // something else than a string if the manifest did not quote it: a number, a size, a float, a date, a boolean.
        string[] prefixes = ["58e9", "12k", "2024-01-01T", "1234567890", "true", "0x1f", "7.5-", "-3~"];
        var passwords = NatsUsers.All
            .Select((u, i) => (u.Name, Password: prefixes[i % prefixes.Length] + Guid.NewGuid().ToString("N")))
            .ToDictionary(p => p.Name, p => p.Password);
        passwords["observer"] = "1234567890"; // digits only: an integer, unquoted
        // Each password variable as the manifest gives it to the container, with the deployment's value in place.
        var environment = NatsUsers.All.ToDictionary(u => u.PasswordVariable,
            u => ((string)nats["env"]![u.PasswordVariable]!).Replace($"{{nats-{u.Name}-password.value}}", passwords[u.Name]));
        environment["NATS_AUTHORIZATION"] = authorization;
        await using var server = await NatsServer.StartAsync(environment);

        Assert.Equal(["-ERR 'Authorization Violation'"], await NatsProbe.ErrorsAsync(server.Port, null, null));
        foreach (var user in NatsUsers.All)
        {
            Assert.Empty(await NatsProbe.ErrorsAsync(server.Port, user.Name, passwords[user.Name]));
            var another = passwords[NatsUsers.All.First(u => u != user).Name];
            Assert.Equal(["-ERR 'Authorization Violation'"], await NatsProbe.ErrorsAsync(server.Port, user.Name, another));
        }
        Assert.Equal([NatsProbe.Violation(new NatsProbe.Pub("cs.session.post"))],
            await NatsProbe.ErrorsAsync(server.Port, "webhooks", passwords["webhooks"], new NatsProbe.Pub("cs.session.post")));

        // The client library reads the user from the URL, as the services' connection strings give it.
        await using var bot = new NatsConnection(
            new NatsOpts { Url = $"nats://bot:{passwords["bot"]}@127.0.0.1:{server.Port}", InboxPrefix = "_INBOX.bot" });
        await bot.ConnectAsync();
        Assert.Equal(NatsConnectionState.Open, bot.ConnectionState);
    }
}
