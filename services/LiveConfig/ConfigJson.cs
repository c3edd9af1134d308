using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerService.LiveConfig;

/// <summary>
/// JSON of the configuration sections, source generated: snake_case names, enums as strings, nulls only where a
/// field is declared nullable.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RoutingRules))]
[JsonSerializable(typeof(SensitiveWords))]
[JsonSerializable(typeof(BotRules))]
[JsonSerializable(typeof(Faq))]
[JsonSerializable(typeof(CannedReplies))]
[JsonSerializable(typeof(FeatureFlags))]
[JsonSerializable(typeof(TenantSettings))]
public sealed partial class ConfigJsonContext : JsonSerializerContext;

public static class ConfigJson
{
    /// <summary>For subscribers: unknown fields are ignored (a newer Admin may have added some).</summary>
    public static ConfigJsonContext Lenient => ConfigJsonContext.Default;

    /// <summary>For writes through the Admin API: an unknown field is an error, most often a typo.</summary>
    public static ConfigJsonContext Strict { get; } = new(new JsonSerializerOptions(ConfigJsonContext.Default.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    });
}
