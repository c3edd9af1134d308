using CustomerService.Admin.Accounts;
using CustomerService.Admin.Data;

namespace CustomerService.Admin.Agents;

public static class AgentsExtensions
{
    /// <summary>
    /// The agents and skill-groups API; register after the configuration store (it publishes through it). Its
    /// writes revoke tokens (<see cref="AccountRevocations"/>): the <c>redis</c> client must be registered.
    /// </summary>
    public static IHostApplicationBuilder AddAgentDirectory(this IHostApplicationBuilder builder)
    {
        builder.AddAccountRevocations();
        builder.Services.AddSingleton<AgentDirectoryStore>();
        // After the demo seed: publishes each tenant's directory so Routing knows the agents from the start.
        builder.Services.AddSingleton<IDatabaseSeed, AgentDirectoryPublisher>();
        return builder;
    }
}

/// <summary>On start, publishes every tenant's agent directory that differs from its tables (a no-op when none does).</summary>
internal sealed class AgentDirectoryPublisher(AgentDirectoryStore store) : IDatabaseSeed
{
    public Task SeedAsync(CancellationToken cancellationToken) => store.PublishAllAsync(cancellationToken);
}
