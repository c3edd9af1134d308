using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;

namespace CustomerService.HistoryWriter.Tests;

public sealed class ClickHouseHttpServerFixture : IAsyncLifetime
{
    public ClickHouseHttpServer Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await ClickHouseHttpServer.StartAsync();
    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// ClickHouse.Driver's own API, unmodified, against the engine behind <see cref="ClickHouseHttpServer"/>: if these
/// pass, the driver's requests run on real ClickHouse and its replies are read the way a server's would be.
/// </summary>
public sealed class ClickHouseHttpServerTests(ClickHouseHttpServerFixture fixture) : IClassFixture<ClickHouseHttpServerFixture>
{
    [Fact]
    public async Task The_driver_reads_typed_rows_binds_parameters_and_inserts_binary_rows()
    {
        var database = TestEngine.NewDatabase("driver");
        using var client = new ClickHouseClient(fixture.Server.ConnectionString(database));

        Assert.True(await client.PingAsync());
        Assert.StartsWith("26.", (string)(await client.ExecuteScalarAsync("SELECT version()"))!);

        await client.ExecuteNonQueryAsync("CREATE TABLE t (id Int64, name String, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id");
        var at = new DateTime(2026, 5, 1, 12, 30, 0, 500, DateTimeKind.Utc);
        var inserted = await client.InsertBinaryAsync("t", ["id", "name", "at"],
            [[1L, "it's \"quoted\"\t\\ 中文", at], [2L, "'; DROP TABLE t; --", at.AddHours(1)]]);
        Assert.Equal(2, inserted);

        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("name", "'; DROP TABLE t; --");
        using (var reader = await client.ExecuteReaderAsync("SELECT id, name, at FROM t WHERE name = {name:String}", parameters))
        {
            Assert.True(reader.Read());
            Assert.Equal(2L, reader.GetInt64(0));
            Assert.Equal("'; DROP TABLE t; --", reader.GetString(1));
            Assert.Equal(at.AddHours(1), reader.GetDateTime(2));
            Assert.False(reader.Read());
        }
        Assert.Equal(2UL, await client.ExecuteScalarAsync("SELECT count() FROM t"));
        Assert.Equal("it's \"quoted\"\t\\ 中文", await client.ExecuteScalarAsync("SELECT name FROM t WHERE id = 1"));
    }

    [Fact]
    public async Task An_engine_error_reaches_the_driver_as_a_server_exception_with_its_code()
    {
        using var client = new ClickHouseClient(fixture.Server.ConnectionString());
        var error = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteScalarAsync("SELECT * FROM no_such_table_here"));
        Assert.Contains("UNKNOWN_TABLE", error.Message);
    }
}
