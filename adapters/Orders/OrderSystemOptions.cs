using Microsoft.Extensions.Options;

namespace CustomerService.Orders;

/// <summary>The legacy order system's REST interface and how its answers are kept (configuration section "Orders").</summary>
public sealed class OrderSystemOptions
{
    public const string Section = "Orders";

    /// <summary>Where the order system answers; "http://orders-sim" is resolved by service discovery when the AppHost references the simulator.</summary>
    public string BaseUrl { get; set; } = "http://orders-sim";

    /// <summary>The recent-orders path under <see cref="BaseUrl"/>; {id} is the escaped customer id, {limit} the number asked for.</summary>
    public string RecentOrdersPath { get; set; } = "customers/{id}/orders?limit={limit}";

    /// <summary>What the adapter asks for; it reads JSON and XML whatever the order system sends.</summary>
    public string Accept { get; set; } = "application/json";

    /// <summary>Orders answered when the request names no limit, and the most ever answered.</summary>
    public int DefaultLimit { get; set; } = 10;
    public int MaxLimit { get; set; } = 50;

    /// <summary>Largest answer accepted from the order system.</summary>
    public int MaxAnswerBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the last live answer per customer stays in memory for the fallback.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Customers whose last answer is kept.</summary>
    public int CacheEntries { get; set; } = 10_000;

    public Uri BaseAddress => new(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/");
}

internal sealed class OrderSystemOptionsValidator : IValidateOptions<OrderSystemOptions>
{
    public ValidateOptionsResult Validate(string? name, OrderSystemOptions o)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            errors.Add($"Orders:BaseUrl must be an absolute http(s) URL, not '{o.BaseUrl}'");
        if (!o.RecentOrdersPath.Contains("{id}", StringComparison.Ordinal)) errors.Add("Orders:RecentOrdersPath must contain {id}");
        if (o.DefaultLimit < 1 || o.MaxLimit < o.DefaultLimit) errors.Add("Orders: need 1 <= DefaultLimit <= MaxLimit");
        if (o.MaxAnswerBytes is < 1024 or > 64 * 1024 * 1024) errors.Add("Orders:MaxAnswerBytes must be between 1 KiB and 64 MiB");
        if (o.CacheTtl <= TimeSpan.Zero) errors.Add("Orders:CacheTtl must be positive");
        if (o.CacheEntries < 1) errors.Add("Orders:CacheEntries must be positive");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
