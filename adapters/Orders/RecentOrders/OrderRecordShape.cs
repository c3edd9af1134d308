namespace CustomerService.Orders.RecentOrders;

/// <summary>
/// Where an order system's answer keeps what the AdapterKit mapping cannot convert by itself: the list of orders,
/// the amount (a decimal in major units, turned into minor units), the creation time (epoch seconds or
/// milliseconds, or ISO-8601) and the order lines (turned into "name ×quantity"). Paths are as in the field
/// mappings: "payAmount.#text|payAmount" takes the first that has a value. Unset members take the default's.
/// </summary>
public sealed class OrderRecordShape
{
    /// <summary>The orders in the answer (an array, or one object when the order system wrote one).</summary>
    public string? Orders { get; set; }
    public string? Amount { get; set; }
    /// <summary>Minor units per major unit (100 fen to the yuan).</summary>
    public int? AmountScale { get; set; }
    public string? CreatedAt { get; set; }
    public string? Items { get; set; }
    /// <summary>Within one item; an item that is a plain string is its own name.</summary>
    public string? ItemName { get; set; }
    public string? ItemQuantity { get; set; }
}

/// <summary>The shape for every tenant (Default) and what differs per tenant (configuration "Orders:Records").</summary>
public sealed class OrderRecordShapes
{
    public OrderRecordShape Default { get; set; } = new();

    public Dictionary<string, OrderRecordShape> Tenants { get; set; } = new(StringComparer.Ordinal);

    public OrderRecordShape For(string? tenantId)
    {
        if (tenantId is null || !Tenants.TryGetValue(tenantId, out var tenant)) return Default;
        return new OrderRecordShape
        {
            Orders = tenant.Orders ?? Default.Orders,
            Amount = tenant.Amount ?? Default.Amount,
            AmountScale = tenant.AmountScale ?? Default.AmountScale,
            CreatedAt = tenant.CreatedAt ?? Default.CreatedAt,
            Items = tenant.Items ?? Default.Items,
            ItemName = tenant.ItemName ?? Default.ItemName,
            ItemQuantity = tenant.ItemQuantity ?? Default.ItemQuantity,
        };
    }

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (scope, shape) in Tenants.Select(t => ($"tenant '{t.Key}'", For(t.Key))).Prepend(("default", Default)))
        {
            if (string.IsNullOrWhiteSpace(shape.Orders)) problems.Add($"Orders:Records {scope}: Orders (where the list of orders is) is required");
            if (shape.AmountScale is <= 0) problems.Add($"Orders:Records {scope}: AmountScale must be positive");
            foreach (var path in new[] { shape.Orders, shape.Amount, shape.CreatedAt, shape.Items, shape.ItemName, shape.ItemQuantity })
                if (path is not null && RecordPath.Parse(path).Any(alternative => alternative.Any(string.IsNullOrEmpty)))
                    problems.Add($"Orders:Records {scope}: path '{path}' has an empty segment");
        }
        return problems;
    }
}
