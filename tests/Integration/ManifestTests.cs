using System.Diagnostics;
using System.Text.Json.Nodes;

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
}
