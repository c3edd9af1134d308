using System.Security.Cryptography;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace CustomerService.Admin.Tests;

/// <summary>
/// A real PostgreSQL, NATS and Redis (where revocations are announced), and the Admin service itself (its own
/// Program, on Kestrel on a free port) in the Development environment, so the demo tenant is seeded. Started once
/// for the whole collection.
/// </summary>
public sealed class AdminFixture : IAsyncLifetime
{
    public const string Database = "admindb";
    public static readonly TimeSpan VisitorLifetime = TimeSpan.FromMinutes(30);

    public PostgresServer Postgres { get; private set; } = null!;
    public NatsServer Nats { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public AdminHost App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public byte[] SigningKey { get; } = RandomNumberGenerator.GetBytes(32);
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync(Database);
        Nats = await NatsServer.StartAsync();
        Redis = await RedisServer.StartAsync();
        App = StartAdmin();
        // Identity headers signed as the gateway signs them, on the service's own clock.
        Client = App.CreateDefaultClient(TestIdentity.Signer(Time));
    }

    public AdminHost StartAdmin(string database = Database, bool withSigningKey = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = Nats.Url,
            ["ConnectionStrings:redis"] = Redis.ConnectionString,
            [$"ConnectionStrings:{Database}"] = Postgres.ConnectionString(database),
            ["Auth:VisitorTokenLifetime"] = VisitorLifetime.ToString(),
            ["Auth:InternalKey"] = TestIdentity.KeyBase64,
        };
        if (withSigningKey) settings["Auth:SigningKey"] = Convert.ToBase64String(SigningKey);
        var host = new AdminHost(settings, Time);
        host.UseKestrel(0);
        host.StartServer();
        return host;
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync(string name)
    {
        await using (var admin = NpgsqlDataSource.Create(Postgres.ConnectionString("postgres")))
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{name}\""))
            await create.ExecuteNonQueryAsync();
        return Postgres.ConnectionString(name);
    }

    public NpgsqlDataSource AdminDatabase() => NpgsqlDataSource.Create(Postgres.ConnectionString(Database));

    /// <summary>A new tenant (id <paramref name="prefix"/> and 8 hex digits), with the site key and identity secret the database gave it.</summary>
    public async Task<(string Id, string SiteKey, string IdentitySecret)> CreateTenantAsync(string prefix, string name)
    {
        await using var db = AdminDatabase();
        await using var insert = db.CreateCommand(
            "INSERT INTO tenants (id, name) VALUES ($1 || substr(md5(random()::text), 1, 8), $2) RETURNING id, site_key, identity_secret");
        insert.Parameters.Add(new() { Value = prefix });
        insert.Parameters.Add(new() { Value = name });
        await using var reader = await insert.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
    }
}

public sealed class AdminHost(IReadOnlyDictionary<string, string?> settings, TimeProvider time) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services => services.AddSingleton(time));
    }
}

[CollectionDefinition(Name)]
public sealed class AdminCollection : ICollectionFixture<AdminFixture>
{
    public const string Name = "admin";
}
