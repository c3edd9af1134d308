using System.Text.Json.Serialization.Metadata;

namespace CustomerService.LiveConfig;

/// <summary>
/// A section of live configuration: one JSON document per tenant (docs/configuration.md). The static members
/// let generic code (the watcher, the Admin API) handle every section the same way without reflection.
/// </summary>
public interface IConfigSection<TSelf> where TSelf : class, IConfigSection<TSelf>
{
    /// <summary>The section's name on the wire (WatchRequest.sections, ConfigChange.section, the Admin API path).</summary>
    static abstract string SectionName { get; }

    /// <summary>What a tenant without a document of this section gets.</summary>
    static abstract TSelf Empty { get; }

    /// <summary>Adds what is wrong with this document to <paramref name="errors"/>, by field path.</summary>
    void Validate(ValidationErrors errors);
}

/// <summary>The sections this library knows, by name, each with its (de)serialization and validation.</summary>
public static class ConfigSections
{
    public const string RoutingRules = "routing_rules";
    public const string SensitiveWords = "sensitive_words";
    public const string BotRules = "bot_rules";
    public const string Faq = "faq";
    public const string CannedReplies = "canned_replies";
    public const string FeatureFlags = "feature_flags";
    public const string TenantSettings = "tenant_settings";
    /// <summary>Per-tenant edge settings the gateway enforces: suspension, allowed origins, rate limits.</summary>
    public const string Gateway = "gateway";
    /// <summary>Agents and skill groups, published by Admin from its own tables (not written through the configuration API).</summary>
    public const string Agents = "agents";

    public static IReadOnlyList<ConfigSectionDescriptor> All { get; } =
    [
        ConfigSectionDescriptor.For<LiveConfig.RoutingRules>(),
        ConfigSectionDescriptor.For<LiveConfig.SensitiveWords>(),
        ConfigSectionDescriptor.For<LiveConfig.BotRules>(),
        ConfigSectionDescriptor.For<LiveConfig.Faq>(),
        ConfigSectionDescriptor.For<LiveConfig.CannedReplies>(),
        ConfigSectionDescriptor.For<LiveConfig.FeatureFlags>(),
        ConfigSectionDescriptor.For<LiveConfig.TenantSettings>(),
        ConfigSectionDescriptor.For<LiveConfig.AgentDirectory>(),
        ConfigSectionDescriptor.For<LiveConfig.GatewaySettings>(),
    ];

    private static readonly Dictionary<string, ConfigSectionDescriptor> ByName = All.ToDictionary(d => d.Name, StringComparer.Ordinal);

    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConfigSectionDescriptor? descriptor)
        => ByName.TryGetValue(name, out descriptor);

    public static ConfigSectionDescriptor Get(string name) =>
        ByName.TryGetValue(name, out var d) ? d
        : throw new ArgumentException($"Unknown configuration section '{name}'. Known: {string.Join(", ", ByName.Keys)}.", nameof(name));
}

/// <summary>One section's type-erased handling: parse (strict for writes, lenient for subscribers), validate, serialize.</summary>
public sealed class ConfigSectionDescriptor
{
    private readonly Func<string, bool, object> _parse;
    private readonly Func<object, string> _serialize;
    private readonly Action<object, ValidationErrors> _validate;

    private ConfigSectionDescriptor(string name, Type type, object empty, Func<string, bool, object> parse,
        Func<object, string> serialize, Action<object, ValidationErrors> validate)
    {
        Name = name;
        Type = type;
        Empty = empty;
        _parse = parse;
        _serialize = serialize;
        _validate = validate;
    }

    public string Name { get; }
    public Type Type { get; }
    public object Empty { get; }

    public static ConfigSectionDescriptor For<T>() where T : class, IConfigSection<T>
    {
        var strict = (JsonTypeInfo<T>)ConfigJson.Strict.GetTypeInfo(typeof(T))!;
        var lenient = (JsonTypeInfo<T>)ConfigJson.Lenient.GetTypeInfo(typeof(T))!;
        return new ConfigSectionDescriptor(T.SectionName, typeof(T), T.Empty,
            (json, isStrict) => System.Text.Json.JsonSerializer.Deserialize(json, isStrict ? strict : lenient)
                                ?? throw new System.Text.Json.JsonException("The document is null.", "$", null, null),
            value => System.Text.Json.JsonSerializer.Serialize((T)value, lenient),
            (value, errors) => ((T)value).Validate(errors));
    }

    /// <summary>
    /// Parses a document. <paramref name="strict"/> (the Admin API) rejects unknown fields; subscribers parse
    /// leniently so that a newer Admin adding a field does not break older services.
    /// </summary>
    /// <exception cref="System.Text.Json.JsonException">Malformed JSON, a wrong type, a null where none is allowed, or (strict) an unknown field.</exception>
    public object Parse(string json, bool strict) => _parse(json, strict);

    public string Serialize(object document) => _serialize(document);

    public ValidationErrors Validate(object document)
    {
        var errors = new ValidationErrors();
        _validate(document, errors);
        return errors;
    }
}
