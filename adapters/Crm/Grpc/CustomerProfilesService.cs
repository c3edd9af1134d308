using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Crm.Profiles;
using Grpc.Core;

namespace CustomerService.Crm.Grpc;

/// <summary>
/// customerservice.v1.CustomerProfiles. Answers within the call's deadline: LIVE, CACHED (with the reason the CRM
/// was not used) or UNAVAILABLE (with the reason); NOT_FOUND when the CRM does not know the customer.
/// </summary>
public sealed class CustomerProfilesService(ProfileLookup profiles) : CustomerProfiles.CustomerProfilesBase
{
    public override async Task<CustomerProfile> GetProfile(GetProfileRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.TenantId) || string.IsNullOrWhiteSpace(request.CustomerId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tenant_id and customer_id are required"));
        try
        {
            return await profiles.GetAsync(request.TenantId, request.CustomerId, context.Deadline, context.CancellationToken);
        }
        catch (LegacyRecordNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, e.Message));
        }
    }
}
