using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CustomerService.Integration;

/// <summary>
/// A NATS client at the protocol's level, to see exactly what the server refuses: it logs in (or not), sends PUB and
/// SUB operations, then PING, and returns every <c>-ERR</c> the server sent before its PONG. nats-server answers a
/// publish or subscription the user may not make with "-ERR 'Permissions Violation for …'" and drops it, so a
/// denied publish reaches no one; a refused login is "-ERR 'Authorization Violation'" and the connection closes.
/// </summary>
public static class NatsProbe
{
    public abstract record Operation(string Subject);
    public sealed record Pub(string Subject) : Operation(Subject);
    public sealed record Sub(string Subject) : Operation(Subject);

    /// <summary>The error line the server sends for an operation the user may not make.</summary>
    public static string Violation(Operation op) => op switch
    {
        Pub p => $"-ERR 'Permissions Violation for Publish to \"{p.Subject}\"'",
        Sub s => $"-ERR 'Permissions Violation for Subscription to \"{s.Subject}\"'",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static async Task<IReadOnlyList<string>> ErrorsAsync(int port, string? user, string? password, params Operation[] operations)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var info = await reader.ReadLineAsync(timeout.Token);
        Assert.StartsWith("INFO ", info);

        var connect = new Dictionary<string, object> { ["verbose"] = false, ["pedantic"] = false, ["name"] = "nats-probe" };
        if (user is not null) { connect["user"] = user; connect["pass"] = password ?? ""; }
        var commands = new StringBuilder($"CONNECT {JsonSerializer.Serialize(connect)}\r\n");
        int sid = 0;
        foreach (var op in operations)
            commands.Append(op switch
            {
                Pub p => $"PUB {p.Subject} 0\r\n\r\n",
                Sub s => $"SUB {s.Subject} {++sid}\r\nUNSUB {sid}\r\n",
                _ => throw new ArgumentOutOfRangeException(nameof(operations)),
            });
        commands.Append("PING\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(commands.ToString()), timeout.Token);

        var errors = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "PONG") break;
            if (line.StartsWith("-ERR", StringComparison.Ordinal)) errors.Add(line);
            if (line.Contains("Authorization Violation", StringComparison.Ordinal)) break; // the server closes it
        }
        return errors;
    }
}
