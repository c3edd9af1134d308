namespace CustomerService.Routing.Dispatch;

/// <summary>
/// What the queue shows of a waiting conversation's customer, as the caller of Enqueue knows it ('' when unknown).
/// Routing decides nothing by it (placement has its own facts); agents see it in the queue.
/// </summary>
public sealed record WaitingCustomer(string Name = "", string Language = "", string EntryPage = "", string Tier = "")
{
    public static WaitingCustomer Unknown { get; } = new();
}
