namespace CustomerService.Orders.Tickets;

/// <summary>The connection string "rabbitmq" (amqp://user:password@host:port/vhost), as Aspire's RabbitMQ resource writes it.</summary>
public sealed record RabbitMqConnection(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static RabbitMqConnection Parse(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(
                "Connection string 'rabbitmq' is missing: set ConnectionStrings__rabbitmq (e.g. amqp://guest:guest@127.0.0.1:5672).");
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "rabbitmq"))
            throw new InvalidOperationException("Connection string 'rabbitmq' must be an amqp:// URL (amqp://user:password@host:port/vhost).");

        string username = "guest", password = "guest";
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            username = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new RabbitMqConnection(uri.Host, (ushort)(uri.IsDefaultPort || uri.Port < 0 ? 5672 : uri.Port),
            vhost.Length == 0 ? "/" : vhost, username, password);
    }
}
