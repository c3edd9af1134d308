using CustomerService.Admin.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CustomerService.Admin.Tests;

[Collection(AdminCollection.Name)]
public sealed class MigrationTests(AdminFixture fixture)
{
    [Fact]
    public async Task The_service_migrated_its_database_on_start_and_a_second_run_applies_nothing()
    {
        await using var db = fixture.AdminDatabase();
        Assert.Equal(Embedded.Select(m => m.Version), await RecordedVersionsAsync(db));

        var again = await Schema(db).MigrateAsync(CancellationToken.None);

        Assert.Empty(again);
        Assert.Equal(Embedded.Select(m => m.Version), await RecordedVersionsAsync(db));
    }

    [Fact]
    public async Task Replicas_starting_together_apply_each_migration_exactly_once()
    {
        for (var round = 0; round < 3; round++)
        {
            var database = await fixture.NewDatabaseAsync($"race_{round}_{Guid.NewGuid():N}");
            // Separate data sources: separate connections, as separate replicas would have.
            var replicas = Enumerable.Range(0, 4)
                .Select(_ => NpgsqlDataSource.Create(database))
                .ToList();
            try
            {
                var results = await Task.WhenAll(replicas.Select(r =>
                    Task.Run(() => Schema(r).MigrateAsync(CancellationToken.None))));

                var applied = results.SelectMany(r => r).OrderBy(v => v).ToList();
                Assert.Equal(Embedded.Select(m => m.Version), applied);
                Assert.Equal(Embedded.Select(m => m.Version), await RecordedVersionsAsync(replicas[0]));
            }
            finally
            {
                foreach (var r in replicas) await r.DisposeAsync();
            }
        }
    }

    private static PostgresSchema Schema(NpgsqlDataSource db) =>
        new(db, "admindb", typeof(IDatabaseSeed).Assembly, "schema_migrations", NullLogger.Instance);

    private static readonly IReadOnlyList<Migration> Embedded = PostgresSchema.Load(typeof(IDatabaseSeed).Assembly, "admindb");

    private static async Task<List<int>> RecordedVersionsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT version FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync()) versions.Add(reader.GetInt32(0));
        return versions;
    }
}
