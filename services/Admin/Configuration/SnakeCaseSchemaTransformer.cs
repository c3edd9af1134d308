using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CustomerService.LiveConfig;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CustomerService.Admin.Configuration;

/// <summary>
/// The section documents are read and written with their own JSON contract (snake_case, enums as strings; see
/// CustomerService.LiveConfig.ConfigJson), not the API's default camelCase: this makes the OpenAPI schemas say so.
/// </summary>
internal sealed class SnakeCaseSchemaTransformer : IOpenApiSchemaTransformer
{
    private static readonly Assembly Schema = typeof(ConfigSections).Assembly;

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type.Assembly != Schema) return Task.CompletedTask;

        if (type.IsEnum)
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = [.. type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name)
                .OfType<string>()
                .Select(name => (JsonNode)JsonValue.Create(name))];
            return Task.CompletedTask;
        }

        if (schema.Properties is not { Count: > 0 } properties) return Task.CompletedTask;
        var wire = ConfigJson.Lenient.GetTypeInfo(type);
        if (wire is null) return Task.CompletedTask;
        var wireNames = wire.Properties
            .Where(p => p.AttributeProvider is MemberInfo)
            .ToDictionary(p => ((MemberInfo)p.AttributeProvider!).Name, p => p.Name, StringComparer.Ordinal);
        var renamed = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (property.AttributeProvider is not MemberInfo member || !properties.TryGetValue(property.Name, out var propertySchema)) continue;
            renamed[wireNames.GetValueOrDefault(member.Name, property.Name)] = propertySchema;
        }
        schema.Properties = renamed;
        return Task.CompletedTask;
    }
}
