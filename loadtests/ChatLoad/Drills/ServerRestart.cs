using System.Net.Sockets;
using System.Text;

namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// kill -9 of a local server of this checkout's platform (NATS, Redis), and after <c>downSeconds</c> the same
/// server started again the same way: command line, environment and working directory from /proc before the kill.
/// Redis rewrites its own command line (its process title) and environment, so its command line is rebuilt from
/// its running configuration (CONFIG GET, after AUTH with the platform's generated password) instead. Recovered once
/// the server answers and acks resume; measured from the restart.
/// </summary>
public sealed class ServerRestart(PlatformDrills platform, ServerRestart.Server server, double downSeconds)
{
    /// <summary>How to find, relaunch and probe one kind of server.</summary>
    /// <param name="LaunchImage">How to start it again, from its image and the password it asks for (null: none).</param>
    public sealed record Server(string Name, string Executable, Func<ProcessImage, string?, CancellationToken, Task<ProcessImage>> LaunchImage,
        Func<ProcessImage, string?, CancellationToken, Task<bool>> Answers);

    public static readonly Server Nats = new("NATS", "nats-server", (image, _, _) => Task.FromResult(image),
        async (image, _, ct) => await ReadsAsync(PortOf(image.Args, "-p"), null, "INFO", ct));

    public static readonly Server Redis = new("Redis", "redis-server", RedisLaunchImageAsync,
        async (image, password, ct) => await ReadsAsync(PortAfterColon(image.Args), Auth(password) + "PING\r\n", password is null ? "+PONG" : "+OK", ct));

    public static IReadOnlyList<ProcessImage> Find(string repoRoot, Server server) =>
        ProcessImage.Find((_, args, cwd) => Path.GetFileName(args[0].Split(' ')[0]) == server.Executable && ProcessImage.IsUnder(cwd, repoRoot));

    public async Task<DrillOutcome> PlayAsync(CancellationToken ct)
    {
        var images = Find(platform.RepoRoot, server);
        if (images.Count != 1) return DrillOutcome.Fail($"{images.Count} {server.Executable} processes run from {platform.RepoRoot} (one expected)");
        var launch = await server.LaunchImage(images[0], platform.RedisPassword, ct);
        await images[0].KillHardAsync(TimeProvider.System, ct);
        platform.Log($"killed {server.Name} (pid {images[0].Pid}); down for {downSeconds:G} s");
        await Task.Delay(TimeSpan.FromSeconds(downSeconds), ct);
        var pid = launch.Relaunch(Path.Combine(platform.LogDirectory, $"{server.Executable}-{images[0].Pid}.log"));
        platform.Log($"started {server.Name} again (pid {pid})");
        var (seconds, missing) = await platform.RecoveryAsync(t => server.Answers(launch, platform.RedisPassword, t), ct);
        return seconds is { } s
            ? new DrillOutcome(s, $"recovered: {server.Name} answers and acks resumed {s:F1} s after the restart")
            : DrillOutcome.Fail($"never recovered in {PlatformDrills.RecoveryLimit.TotalSeconds:F0} s ({missing})");
    }

    /// <summary>
    /// Redis's command line rebuilt from its running configuration: the settings eng/run-redis.sh gives it, read
    /// back with CONFIG GET (its /proc command line is its title, "redis-server 127.0.0.1:PORT", and its
    /// /proc environment is overwritten by that title). With a password the relaunch passes it as --requirepass: Redis
    /// overwrites its command line with that title as it starts, so it shows in /proc only for that moment.
    /// </summary>
    public static async Task<ProcessImage> RedisLaunchImageAsync(ProcessImage image, string? password, CancellationToken ct)
    {
        int port = PortAfterColon(image.Args);
        var args = new List<string> { "redis-server" };
        foreach (var name in (string[])["bind", "port", "dir", "save", "appendonly", "appendfsync", "protected-mode", "loglevel"])
            args.AddRange([$"--{name}", await RedisConfigAsync(port, password, name, ct)]);
        if (password is not null) args.AddRange(["--requirepass", password]);
        args.AddRange(["--daemonize", "no"]);
        return image with { Args = [.. args] };
    }

    /// <summary>The AUTH command a Redis with a password needs first (its answer is the first line read).</summary>
    private static string Auth(string? password) => password is null ? "" : $"AUTH {password}\r\n";

    private static async Task<string> RedisConfigAsync(int port, string? password, string name, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{Auth(password)}CONFIG GET {name}\r\n"), ct);
        // [+OK\r\n] *2\r\n$N\r\nname\r\n$M\r\nvalue\r\n
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (password is not null && await reader.ReadLineAsync(ct) is var auth && auth != "+OK")
            throw new InvalidOperationException($"Redis on {port} refused the platform's password: {auth}");
        var lines = new List<string>();
        while (lines.Count < 5 && await reader.ReadLineAsync(ct) is { } line) lines.Add(line);
        if (lines.Count < 5 || lines[0] != "*2") throw new InvalidOperationException($"Redis on {port}: CONFIG GET {name} answered {string.Join(" ", lines)}");
        return lines[4];
    }

    private static int PortOf(string[] args, string flag) =>
        Array.IndexOf(args, flag) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var p) ? p : 4222;

    /// <summary>The port in "redis-server 127.0.0.1:PORT" (its title) or after --port.</summary>
    private static int PortAfterColon(string[] args)
    {
        if (Array.IndexOf(args, "--port") is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var p)) return p;
        var title = string.Join(' ', args).Trim();
        return int.TryParse(title[(title.LastIndexOf(':') + 1)..].Split(' ')[0], out var port) ? port : 6379;
    }

    /// <summary>Connects, sends <paramref name="send"/> if any, and reads a line starting with <paramref name="expect"/>.</summary>
    private static async Task<bool> ReadsAsync(int port, string? send, string expect, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        var stream = client.GetStream();
        if (send is not null) await stream.WriteAsync(Encoding.ASCII.GetBytes(send), ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return (await reader.ReadLineAsync(ct))?.StartsWith(expect, StringComparison.Ordinal) == true;
    }
}
