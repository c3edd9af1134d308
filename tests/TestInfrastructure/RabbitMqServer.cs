using System.Net.Sockets;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// RabbitMQ 3.10 (eng/run-rabbitmq.sh) with its own node, epmd and data directory, and a generated user.
/// <see cref="LocalServer.StopAsync"/> then <see cref="StartAgainAsync"/> restarts it on the same port and data
/// (durable queues and persistent messages survive), as in a broker outage drill.
/// </summary>
public sealed class RabbitMqServer : LocalServer
{
    private RabbitMqServer() { }

    public int Port { get; } = FreePort();
    public int EpmdPort { get; } = FreePort();
    public int DistributionPort { get; } = FreePort();
    public string User { get; } = "cs-test";
    public string Password { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The connection string "rabbitmq", as the services read it.</summary>
    public string ConnectionString => $"amqp://{User}:{Password}@127.0.0.1:{Port}";

    public static async Task<RabbitMqServer> StartAsync()
    {
        var server = new RabbitMqServer();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (again, after a stop) on the same ports and data; ready when it answers the AMQP protocol header.</summary>
    public Task StartAgainAsync() =>
        // The broker boots in ~5 s on an idle machine, far longer on a busy one.
        StartScriptAsync("run-rabbitmq.sh", [Port.ToString(), EpmdPort.ToString(), Path.Combine(DataDirectory, "rabbitmq")],
            AnswersAmqpAsync,
            new Dictionary<string, string>
            {
                ["RABBITMQ_USER"] = User,
                ["RABBITMQ_PASSWORD"] = Password,
                ["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(),
            },
            TimeSpan.FromSeconds(180));

    /// <summary>The broker answers "AMQP 0-9-1" with connection.start (a method frame) once its listener is up.</summary>
    private async Task<bool> AnswersAmqpAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), cancellationToken);
        var frameType = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        return await stream.ReadAsync(frameType, timeout.Token) == 1 && frameType[0] == 1;
    }
}
