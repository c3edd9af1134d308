namespace CustomerService.Routing.Dispatch;

/// <summary>Where a waiting conversation ranks: a lower band is served first, FIFO within a band.</summary>
public enum QueueBand
{
    /// <summary>Conversations that already had an agent (agent went offline, transfer to a group): the front.</summary>
    Returning = 0,
    /// <summary>Priority customers (VIP tier) or conversations a routing rule marks high priority.</summary>
    Priority = 1,
    Normal = 2,
}
