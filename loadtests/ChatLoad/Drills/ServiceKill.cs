namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// kill -9 of a platform service: every process of it (all replicas) run from this checkout's bin/ folders, then,
/// after <paramref name="down"/> (zero: at once), each started again from its /proc image (DCP does not restart a
/// project that exits: docs/loadtests.md). Recovered once every replica's /health answers 200 and acks resume;
/// measured from the restart.
/// </summary>
public sealed class ServiceKill(PlatformDrills platform, string target, TimeSpan down = default)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>The service's processes: its apphost executable or <c>dotnet X.dll</c> under the checkout's bin/.</summary>
    public static IReadOnlyList<ProcessImage> Find(string repoRoot, string service) => ProcessImage.Find((_, args, _) =>
    {
        var program = Path.GetFileName(args[0]) == "dotnet" ? args.Skip(1).FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) : args[0];
        return program is not null && ProcessImage.IsUnder(program, repoRoot) && program.Contains("/bin/", StringComparison.Ordinal)
            && string.Equals(Path.GetFileNameWithoutExtension(program), service, StringComparison.OrdinalIgnoreCase);
    });

    /// <summary>Its /health: the http address the AppHost gave it (ASPNETCORE_URLS), the first one.</summary>
    public static Uri? HealthOf(ProcessImage image)
    {
        var urls = image.Environment.GetValueOrDefault("ASPNETCORE_URLS")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var http = urls.FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal));
        if (http is null && image.Environment.GetValueOrDefault("HTTP_PORTS") is { } ports) http = $"http://127.0.0.1:{ports.Split(';', ',')[0]}";
        if (http is null) return null;
        http = http.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1");
        return Uri.TryCreate(http.TrimEnd('/') + "/health", UriKind.Absolute, out var health) ? health : null;
    }

    public async Task<DrillOutcome> PlayAsync(CancellationToken ct)
    {
        var images = Find(platform.RepoRoot, target);
        if (images.Count == 0) return DrillOutcome.Fail($"no process of {target} runs from {platform.RepoRoot}");
        var health = images.Select(HealthOf).ToList();
        if (health.Any(h => h is null)) return DrillOutcome.Fail($"{target}: no http address in its environment (ASPNETCORE_URLS)");

        await Task.WhenAll(images.Select(i => i.KillHardAsync(TimeProvider.System, ct)));
        platform.Log($"killed {target} (pid {string.Join(", ", images.Select(i => i.Pid))})");
        if (down > TimeSpan.Zero) await Task.Delay(down, ct);
        var started = images.Select(i => i.Relaunch(Path.Combine(platform.LogDirectory, $"{target}-{i.Pid}.log"))).ToList();
        platform.Log($"started {target} again (pid {string.Join(", ", started)})");

        var (seconds, missing) = await platform.RecoveryAsync(async t =>
        {
            foreach (var h in health)
                if (!(await Http.GetAsync(h, t)).IsSuccessStatusCode) return false;
            return true;
        }, ct);
        return seconds is { } s
            ? new DrillOutcome(s, $"recovered: /health 200 and acks resumed {s:F1} s after the restart")
            : DrillOutcome.Fail($"never recovered in {PlatformDrills.RecoveryLimit.TotalSeconds:F0} s ({missing})");
    }
}
