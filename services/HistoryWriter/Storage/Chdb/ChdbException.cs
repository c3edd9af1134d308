namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>An error the engine reported, with ClickHouse's error code.</summary>
public sealed class ChdbException(string message) : Exception(message)
{
    public int Code { get; } = ClickHouseErrorCode.Parse(message);
}
