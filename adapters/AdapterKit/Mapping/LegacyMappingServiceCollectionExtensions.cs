using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomerService.AdapterKit.Mapping;

public static class LegacyMappingServiceCollectionExtensions
{
    /// <summary>
    /// A <see cref="LegacyMapper{TMessage}"/> from a configuration section shaped as <see cref="TenantMappings"/>
    /// (Default, Tenants:{id}), checked when the host starts.
    /// </summary>
    public static IServiceCollection AddLegacyMapping<TMessage>(this IServiceCollection services, IConfiguration section)
        where TMessage : class, IMessage<TMessage>, new()
    {
        string name = typeof(TMessage).FullName!;
        services.AddOptions<TenantMappings>(name).Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TenantMappings>>(new MappingValidator<TMessage>(name));
        services.AddSingleton(sp => new LegacyMapper<TMessage>(sp.GetRequiredService<IOptionsMonitor<TenantMappings>>().Get(name)));
        return services;
    }

    private sealed class MappingValidator<TMessage>(string name) : IValidateOptions<TenantMappings>
        where TMessage : class, IMessage<TMessage>, new()
    {
        public ValidateOptionsResult Validate(string? optionsName, TenantMappings options)
        {
            if (optionsName != name) return ValidateOptionsResult.Skip;
            var problems = LegacyMapper<TMessage>.Check(options);
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
