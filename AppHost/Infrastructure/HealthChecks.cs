using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CustomerService.AppHost.Infrastructure;

/// <summary>Healthy when redis-server answers PING.</summary>
internal sealed class RedisPingCheck(int port, string password) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {password}\r\nPING\r\n"), cancellationToken);
            var buffer = new byte[32];
            int read = 0;
            while (read < 12 && await stream.ReadAsync(buffer.AsMemory(read), cancellationToken) is var n and > 0) read += n;
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+OK\r\n+PONG", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("redis-server did not answer PONG");
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return HealthCheckResult.Unhealthy($"redis-server not reachable on 127.0.0.1:{port}", ex);
        }
    }
}

/// <summary>Healthy when every database the services use accepts a connection.</summary>
internal sealed class PostgresDatabasesCheck(string serverConnection, IReadOnlyList<string> databases) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var database in databases)
        {
            try
            {
                await using var connection = new NpgsqlConnection($"{serverConnection};Database={database};Pooling=false;Timeout=3");
                await connection.OpenAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"database '{database}' not ready", ex);
            }
        }
        return HealthCheckResult.Healthy();
    }
}

/// <summary>Healthy when RabbitMQ answers the AMQP 0-9-1 header with connection.start.</summary>
internal sealed class AmqpCheck(int port) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), cancellationToken);
            var frameType = new byte[1];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            return await stream.ReadAsync(frameType, timeout.Token) == 1 && frameType[0] == 1
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("RabbitMQ did not answer the AMQP header");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"RabbitMQ not reachable on 127.0.0.1:{port}", ex);
        }
    }
}
