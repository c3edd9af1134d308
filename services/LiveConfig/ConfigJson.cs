using System.Text.Encodings.Web;
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
[JsonSerializable(typeof(AgentDirectory))]
[JsonSerializable(typeof(GatewaySettings))]
public sealed partial class ConfigJsonContext : JsonSerializerContext;

public static class ConfigJson
{
    /// <summary>
    /// For subscribers: unknown fields are ignored (a newer Admin may have added some). Writes Chinese as is, not
    /// as \u escapes: documents are served as application/json, never inlined into HTML.
    /// </summary>
    public static ConfigJsonContext Lenient { get; } = new(new JsonSerializerOptions(ConfigJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>For writes through the Admin API: an unknown field is an error, most often a typo.</summary>
    public static ConfigJsonContext Strict { get; } = new(new JsonSerializerOptions(Lenient.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    });
}
