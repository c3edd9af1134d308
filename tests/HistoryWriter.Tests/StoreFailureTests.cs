using System.Buffers;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>Which store errors park a row and which hold the archive: by ClickHouse's codes, and as the real engine answers.</summary>
public sealed class StoreFailureTests
{
    [Theory]
    [InlineData(469)] // VIOLATED_CONSTRAINT
    [InlineData(131)] // TOO_LARGE_STRING_SIZE
    [InlineData(6)]   // CANNOT_PARSE_TEXT
    [InlineData(27)]  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    [InlineData(321)] // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    public void A_refusal_for_a_rows_content_is_the_rows_fault(int code) =>
        Assert.Equal(StoreFailure.RowRejected, StoreFailures.Classify(new HistoryStoreRejectedException(code, $"Code: {code}.")));

    [Theory]
    [InlineData(241)] // MEMORY_LIMIT_EXCEEDED
    [InlineData(252)] // TOO_MANY_PARTS
    [InlineData(242)] // TABLE_IS_READ_ONLY
    [InlineData(774)] // TABLE_IS_PERMANENTLY_READ_ONLY (table_readonly = 1)
    [InlineData(159)] // TIMEOUT_EXCEEDED
    [InlineData(60)]  // UNKNOWN_TABLE (detached, not created yet)
    [InlineData(243)] // NOT_ENOUGH_SPACE
    [InlineData(0)]   // no code in the text
    [InlineData(99999)] // a code nobody has seen: held, never parked
    public void A_refusal_for_the_stores_state_or_of_no_known_kind_is_transient(int code) =>
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new HistoryStoreRejectedException(code, $"Code: {code}.")));

    [Fact]
    public void A_store_that_does_not_answer_is_transient()
    {
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new HttpRequestException("connection refused")));
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new TimeoutException()));
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new IOException("disk")));
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new TaskCanceledException("HttpClient.Timeout")));
        Assert.Equal(StoreFailure.Transient, StoreFailures.Classify(new ObjectDisposedException("chdb")));
    }

    [Fact]
    public async Task The_real_engine_refuses_a_bad_row_as_the_rows_fault_and_a_read_only_or_full_table_as_transient()
    {
        await using var store = new HistoryStore(TestEngine.OpenEmbedded(), new HistorySchema(TestEngine.NewDatabase("failure")), TimeProvider.System,
            NullLogger<HistoryStore>.Instance);
        await store.ReadyAsync(default);
        var data = new HistoryData();
        var good = data.Message("t-class", "c", 1, ParticipantKind.Customer, "c", "fine", DateTimeOffset.UtcNow);
        var tooLong = data.Message("t-class", "c", 2, ParticipantKind.Customer, "c", new string('x', 70_000), DateTimeOffset.UtcNow);

        Assert.Equal(StoreFailure.RowRejected, await FailureOfAsync(store, tooLong));
        await InsertAsync(store, good);

        await store.Database.ExecuteAsync($"ALTER TABLE {store.Schema.Messages} MODIFY SETTING table_readonly = 1", null, default);
        Assert.Equal(StoreFailure.Transient, await FailureOfAsync(store, good));
        await store.Database.ExecuteAsync($"ALTER TABLE {store.Schema.Messages} MODIFY SETTING table_readonly = 0", null, default);

        await store.Database.ExecuteAsync($"ALTER TABLE {store.Schema.MessageSlots} MODIFY SETTING parts_to_throw_insert = 1", null, default);
        Assert.Equal(StoreFailure.Transient, await FailureOfAsync(store, good));
        await store.Database.ExecuteAsync($"ALTER TABLE {store.Schema.MessageSlots} RESET SETTING parts_to_throw_insert", null, default);
        await InsertAsync(store, good);
    }

    private static async Task<StoreFailure?> FailureOfAsync(HistoryStore store, ChatMessage message)
    {
        try
        {
            await InsertAsync(store, message);
            return null;
        }
        catch (Exception ex)
        {
            return StoreFailures.Classify(ex);
        }
    }

    private static async Task InsertAsync(HistoryStore store, ChatMessage message)
    {
        var rows = new ArrayBufferWriter<byte>();
        MessageRows.Write(new RowBinaryWriter(rows), message, 365, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await store.Database.InsertAsync(store.Schema.Messages, HistorySchema.MessageColumns, rows.WrittenMemory, default);
    }
}
