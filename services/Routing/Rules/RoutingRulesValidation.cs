using CustomerService.Routing.Dispatch;
using Microsoft.Extensions.Options;

namespace CustomerService.Routing.Rules;

/// <summary>Refuses rules that could never route (unusable group names, overflow to itself, no wait) on start and on reload.</summary>
public sealed class RoutingRulesValidation : IValidateOptions<RoutingRulesOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingRulesOptions options)
    {
        var problems = new List<string>();
        foreach (var (tenant, rules) in options.Tenants)
        {
            if (tenant != ConfiguredRoutingRules.AnyTenant && RoutingId.Problem("tenant", tenant) is { } t) problems.Add(t);
            if (rules.DefaultSkillGroup is { Length: > 0 } d && RoutingId.Problem($"{tenant}: DefaultSkillGroup", d) is { } dp)
                problems.Add(dp);
            for (int i = 0; i < rules.Rules.Count; i++)
                if (RoutingId.Problem($"{tenant}: Rules[{i}] ({rules.Rules[i].Name}).SkillGroup", rules.Rules[i].SkillGroup) is { } r)
                    problems.Add(r);
            for (int i = 0; i < rules.Overflows.Count; i++)
            {
                var o = rules.Overflows[i];
                var at = $"{tenant}: Overflows[{i}]";
                if (RoutingId.Problem($"{at}.FromSkillGroup", o.FromSkillGroup) is { } f) problems.Add(f);
                if (RoutingId.Problem($"{at}.ToSkillGroup", o.ToSkillGroup) is { } to) problems.Add(to);
                if (o.FromSkillGroup == o.ToSkillGroup) problems.Add($"{at} overflows {o.FromSkillGroup} to itself");
                if (o.After <= TimeSpan.Zero) problems.Add($"{at}.After must be positive");
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
