using CustomerService.Admin.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomerService.Admin.Accounts;

public static class AccountsExtensions
{
    /// <summary>Accounts, password login, token issuing and revocation; fails on start when the signing key is missing.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TokenOptions>, TokenOptionsValidator>();
        builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<PasswordLogin>();
        builder.Services.AddOptions<LoginThrottleOptions>().BindConfiguration(LoginThrottleOptions.Section)
            .Validate(o => o.FreeFailuresPerSource >= 1 && o.FreeFailuresPerLogin >= 1 && o.MaxLockPerSource > TimeSpan.Zero
                           && o.MaxLockPerLogin > TimeSpan.Zero && o.FailureWindow > TimeSpan.Zero,
                "Login: free failures at least 1, locks and the window positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.AddAccountRevocations();
        builder.Services.AddSingleton<IDatabaseSeed, DemoTenant>();
        return builder;
    }

    /// <summary>
    /// Revocation of an account's tokens, recorded in PostgreSQL and announced through Redis (the <c>redis</c>
    /// client must be registered); for the account APIs and the agents API, whichever registers first.
    /// </summary>
    public static IHostApplicationBuilder AddAccountRevocations(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(s => s.ServiceType == typeof(AccountRevocations))) return builder;
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TokenRevocationStore>();
        builder.Services.AddSingleton<AccountRevocations>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccountRevocations>());
        return builder;
    }
}
