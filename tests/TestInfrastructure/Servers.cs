using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace CustomerService.TestInfrastructure;

/// <summary>nats-server with JetStream (eng/run-nats.sh).</summary>
public sealed class NatsServer : LocalServer
{
    private readonly IDictionary<string, string>? _environment;

    private NatsServer(int port, int monitorPort, IDictionary<string, string>? environment = null)
    {
        Port = port;
        MonitorPort = monitorPort;
        _environment = environment;
    }

    public int Port { get; }
    public int MonitorPort { get; }
    public string Url => $"nats://127.0.0.1:{Port}";

    /// <param name="environment">For run-nats.sh, e.g. NATS_AUTHORIZATION (a users' block) and the passwords it names.</param>
    public static async Task<NatsServer> StartAsync(IDictionary<string, string>? environment = null)
    {
        var server = new NatsServer(FreePort(), FreePort(), environment);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// Ports and a data directory, not started yet: for what must cope with NATS coming up late (the ports are this
    /// process's alone meanwhile, see <see cref="LocalServer.FreePort"/>).
    /// </summary>
    public static NatsServer Reserve() => new(FreePort(), FreePort());

    /// <summary>Starts (first after <see cref="Reserve"/>, or again after <see cref="LocalServer.StopAsync"/>) on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        using var http = new HttpClient();
        await StartScriptAsync("run-nats.sh", [Port.ToString(), MonitorPort.ToString(), Path.Combine(DataDirectory, "js")],
            async ct => (await http.GetAsync($"http://127.0.0.1:{MonitorPort}/healthz", ct)).IsSuccessStatusCode, _environment);
    }
}

/// <summary>redis-server (eng/run-redis.sh).</summary>
public sealed class RedisServer : LocalServer
{
    private RedisServer() { }

    public int Port { get; } = FreePort();
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (again, after <see cref="LocalServer.StopAsync"/> or a kill) on the same port and data directory.</summary>
    public Task StartAgainAsync() => StartScriptAsync("run-redis.sh", [Port.ToString(), DataDirectory], async ct =>
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), ct);
        var buffer = new byte[8];
        int n = await stream.ReadAsync(buffer, ct);
        return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG");
    });
}

/// <summary>PostgreSQL 15 (eng/run-postgres.sh) with the given databases.</summary>
public sealed class PostgresServer : LocalServer
{
    private PostgresServer() { }

    public int Port { get; } = FreePort();
    public string Password { get; } = Guid.NewGuid().ToString("N");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database}";

    /// <summary>A fresh database on this server (e.g. for a second instance of a service); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public static async Task<PostgresServer> StartAsync(params string[] databases)
    {
        var server = new PostgresServer();
        var check = databases.Length > 0 ? databases[^1] : "postgres";
        await server.StartScriptAsync("run-postgres.sh", [server.Port.ToString(), Path.Combine(server.DataDirectory, "pg"), .. databases],
            async ct =>
            {
                await using var c = new NpgsqlConnection(server.ConnectionString(check) + ";Pooling=false;Timeout=2");
                await c.OpenAsync(ct);
                return true;
            },
            new Dictionary<string, string> { ["PGPASSWORD"] = server.Password }, TimeSpan.FromSeconds(60));
        return server;
    }
}
