using System.Text.Json;
using CustomerService.AdapterKit.Php;
using CustomerService.Contracts;
using Google.Protobuf;

namespace CustomerService.AdapterKit.Envelope;

/// <summary>
/// Builds the <see cref="UnifiedMessage"/> every adapter produces: the legacy payload turned into JSON in
/// <c>body</c>, and what it came from in <c>metadata</c> (keys in <see cref="LegacyMetadata"/>).
/// </summary>
public static class LegacyEnvelope
{
    public const string JsonContentType = "application/json";

    /// <summary>A legacy answer that is JSON already (or was turned into JSON by the adapter).</summary>
    public static UnifiedMessage FromJson(Protocol protocol, ReadOnlySpan<byte> json, string system, string? tenantId,
        string sourceFormat = "json", IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var message = new UnifiedMessage { Protocol = protocol, Body = ByteString.CopyFrom(json) };
        message.Metadata[LegacyMetadata.System] = system;
        message.Metadata[LegacyMetadata.ContentType] = JsonContentType;
        message.Metadata[LegacyMetadata.SourceFormat] = sourceFormat;
        if (!string.IsNullOrEmpty(tenantId)) message.Metadata[LegacyMetadata.Tenant] = tenantId;
        if (metadata is not null) foreach (var (key, value) in metadata) message.Metadata[key] = value;
        return message;
    }

    /// <summary>A PHP serialize() answer: read safely (<see cref="PhpSerialized"/>) into the JSON body.</summary>
    /// <exception cref="PhpSerializationException">The payload is malformed or exceeds the limits.</exception>
    public static UnifiedMessage FromPhpSerialized(Protocol protocol, ReadOnlySpan<byte> serialized, string system, string? tenantId,
        PhpUnserializeOptions? options = null, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        FromJson(protocol, PhpSerialized.ToJson(serialized, options), system, tenantId, "php-serialize", metadata);

    /// <summary>The JSON body of a message built here.</summary>
    public static JsonDocument ParseBody(UnifiedMessage message)
    {
        if (message.Metadata.TryGetValue(LegacyMetadata.ContentType, out var type) && type != JsonContentType)
            throw new InvalidOperationException($"the message body is {type}, not {JsonContentType}");
        return JsonDocument.Parse(message.Body.Memory, new JsonDocumentOptions { MaxDepth = PhpUnserializeOptions.DepthCeiling + 2 });
    }
}

/// <summary>Metadata keys of a legacy <see cref="UnifiedMessage"/>.</summary>
public static class LegacyMetadata
{
    /// <summary>Which legacy system answered (e.g. "crm").</summary>
    public const string System = "legacy.system";
    /// <summary>The tenant the message belongs to: it selects the field mapping.</summary>
    public const string Tenant = "tenant.id";
    public const string ContentType = "content-type";
    /// <summary>The legacy format the body was converted from (php-serialize, xml, json ...).</summary>
    public const string SourceFormat = "legacy.format";
    /// <summary>What was asked of the legacy system (e.g. "GET customers/42").</summary>
    public const string Source = "legacy.source";
}
