namespace CustomerService.Webhooks.Registrations;

/// <summary>A tenant's registered webhook. The secret is never part of a listing.</summary>
public sealed record Webhook(Guid Id, string TenantId, string Url, string[] Events, string Description, bool Enabled,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a webhook needs to be sent to: the consumer's and dispatcher's view.</summary>
public sealed record Subscription(Guid Id, string TenantId, string[] Events);
