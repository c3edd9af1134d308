using CustomerService.AdapterKit.Envelope;
using CustomerService.AdapterKit.Mapping;
using CustomerService.AdapterKit.Php;
using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Crm.LegacyCrm;
using Microsoft.Extensions.Options;

namespace CustomerService.Crm.Profiles;

/// <summary>
/// A customer's profile: live from the CRM (serialize() → UnifiedMessage → the tenant's mapping → CustomerProfile),
/// else the cached one, else an explicit "unavailable" with the reason; always within the caller's deadline.
/// </summary>
public sealed partial class ProfileLookup(
    CrmClient crm,
    [FromKeyedServices(CrmClient.SystemName)] LegacySystem<CustomerProfile> legacy,
    LegacyMapper<CustomerProfile> mapper,
    ProfileCache cache,
    IOptions<CrmOptions> options,
    TimeProvider time,
    ILogger<ProfileLookup> logger)
{
    private readonly PhpUnserializeOptions _readerOptions = options.Value.ReaderOptions();

    /// <exception cref="LegacyRecordNotFoundException">The CRM does not know the customer.</exception>
    public async ValueTask<CustomerProfile> GetAsync(string tenantId, string customerId, DateTime? deadlineUtc, CancellationToken cancellationToken)
    {
        var profile = await legacy.CallAsync(
            token => ReadLiveAsync(tenantId, customerId, token),
            (failure, token) => FallBackAsync(tenantId, customerId, failure, token),
            deadlineUtc, cancellationToken);

        if (profile.Availability == Availability.Live)
        {
            // Keep it for the fallback, within what is left of the deadline.
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (deadlineUtc is { } d && d != DateTime.MaxValue)
                budget.CancelAfter(TimeSpan.FromTicks(Math.Max((d - time.GetUtcNow().UtcDateTime).Ticks / 2, TimeSpan.TicksPerMillisecond)));
            await cache.TrySetAsync(tenantId, profile, budget.Token);
        }
        return profile;
    }

    private async ValueTask<CustomerProfile> ReadLiveAsync(string tenantId, string customerId, CancellationToken cancellationToken)
    {
        var record = await crm.GetCustomerAsync(customerId, cancellationToken);
        var message = LegacyEnvelope.FromPhpSerialized(Protocol.Http, record, CrmClient.SystemName, tenantId, _readerOptions,
            [new(LegacyMetadata.Source, $"GET {crm.CustomerPath(customerId)}")]);
        var problems = new List<string>();
        var profile = mapper.Map(message, problems);
        if (problems.Count > 0) LogMappingProblems(tenantId, customerId, string.Join("; ", problems));
        profile.CustomerId = customerId;
        profile.Availability = Availability.Live;
        return profile;
    }

    private async ValueTask<CustomerProfile> FallBackAsync(string tenantId, string customerId, LegacyFailure failure, CancellationToken cancellationToken)
    {
        var cached = await cache.TryGetAsync(tenantId, customerId, cancellationToken);
        if (cached is not null)
        {
            cached.Availability = Availability.Cached;
            cached.UnavailableReason = failure.Reason;
            return cached;
        }
        return new CustomerProfile
        {
            CustomerId = customerId,
            Availability = Availability.Unavailable,
            UnavailableReason = failure.Reason,
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "CRM record of {TenantId}/{CustomerId} mapped with problems: {Problems}")]
    private partial void LogMappingProblems(string tenantId, string customerId, string problems);
}
