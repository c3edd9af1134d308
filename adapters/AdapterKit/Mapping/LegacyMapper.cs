using System.Collections;
using System.Globalization;
using System.Text.Json;
using CustomerService.AdapterKit.Envelope;
using CustomerService.Contracts;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace CustomerService.AdapterKit.Mapping;

/// <summary>
/// Turns a legacy record (the JSON body of a <see cref="UnifiedMessage"/>) into a typed contract message with
/// the tenant's <see cref="MessageMapping"/>. Every tenant's mapping is checked against the message's descriptor
/// when the mapper is built, so a misspelt field fails at start, not on the first customer.
/// Values are converted to the field's type: strings take any scalar as text (arrays of scalars joined with ", ",
/// objects as JSON); numbers, booleans and enums (by name, with or without the enum's prefix, or number) parse
/// from text; repeated fields take each item of an array.
/// </summary>
public sealed class LegacyMapper<TMessage> where TMessage : class, IMessage<TMessage>, new()
{
    private static readonly MessageDescriptor Descriptor = new TMessage().Descriptor;
    private readonly CompiledMapping _default;
    private readonly Dictionary<string, CompiledMapping> _tenants;

    /// <exception cref="LegacyMappingException">A mapping names a field the message lacks, or a value it cannot hold.</exception>
    public LegacyMapper(TenantMappings mappings)
    {
        var errors = new List<string>();
        _default = CompiledMapping.Compile(mappings.Default, "default", errors);
        _tenants = mappings.Tenants.Keys.ToDictionary(t => t, t => CompiledMapping.Compile(mappings.For(t), $"tenant '{t}'", errors), StringComparer.Ordinal);
        if (errors.Count > 0) throw new LegacyMappingException(Descriptor.Name, errors);
    }

    /// <summary>The problems of a mapping configuration (empty when it is usable).</summary>
    public static IReadOnlyList<string> Check(TenantMappings mappings)
    {
        try { _ = new LegacyMapper<TMessage>(mappings); return []; }
        catch (LegacyMappingException e) { return e.Problems; }
    }

    /// <summary>Maps the body of a legacy message with the mapping of the tenant named in its metadata.</summary>
    public TMessage Map(UnifiedMessage message, ICollection<string>? problems = null)
    {
        using var body = LegacyEnvelope.ParseBody(message);
        message.Metadata.TryGetValue(LegacyMetadata.Tenant, out var tenant);
        return Map(body.RootElement, tenant, problems);
    }

    /// <summary>
    /// Maps a record. A value that does not fit its field is left out and described in <paramref name="problems"/>:
    /// one odd field in a legacy record does not cost the whole message.
    /// </summary>
    public TMessage Map(JsonElement record, string? tenantId, ICollection<string>? problems = null)
    {
        var mapping = tenantId is not null && _tenants.TryGetValue(tenantId, out var tenant) ? tenant : _default;
        var message = new TMessage();
        foreach (var rule in mapping.Rules) rule.Apply(message, record, problems);
        return message;
    }

    private sealed class CompiledMapping(List<FieldRule> rules)
    {
        public List<FieldRule> Rules { get; } = rules;

        public static CompiledMapping Compile(MessageMapping mapping, string scope, List<string> errors)
        {
            var targets = mapping.Fields.Where(f => !string.IsNullOrWhiteSpace(f.Value)).Select(f => f.Key)
                .Concat(mapping.Defaults.Keys).Distinct(StringComparer.Ordinal);
            foreach (var target in mapping.Values.Keys.Where(t => !mapping.Fields.ContainsKey(t) && !mapping.Defaults.ContainsKey(t)))
                errors.Add($"{scope}: Values for '{target}', which no field or default maps");

            var rules = new List<FieldRule>();
            foreach (var target in targets)
            {
                if (FieldRule.Compile(target, mapping, scope, errors) is { } rule) rules.Add(rule);
            }
            return new CompiledMapping(rules);
        }
    }

    private sealed class FieldRule
    {
        private readonly string _target;
        private readonly FieldDescriptor _field;
        private readonly FieldDescriptor _valueField; // the field itself, or a map's value field
        private readonly string? _mapKey;              // "*" copies every member of a source object
        private readonly string[][] _source;           // alternatives, each a path of segments
        private readonly Dictionary<string, string>? _values;
        private readonly string? _default;

        private FieldRule(string target, FieldDescriptor field, FieldDescriptor valueField, string? mapKey, string[][] source,
            Dictionary<string, string>? values, string? @default)
        {
            _target = target; _field = field; _valueField = valueField; _mapKey = mapKey; _source = source;
            _values = values; _default = @default;
        }

        public static FieldRule? Compile(string target, MessageMapping mapping, string scope, List<string> errors)
        {
            int dot = target.IndexOf('.');
            string fieldName = dot < 0 ? target : target[..dot];
            string? mapKey = dot < 0 ? null : target[(dot + 1)..];
            var field = Descriptor.FindFieldByName(fieldName) ?? Descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == fieldName);
            if (field is null)
            {
                errors.Add($"{scope}: {Descriptor.Name} has no field '{fieldName}' (target '{target}')");
                return null;
            }
            var valueField = field;
            if (field.IsMap)
            {
                var key = field.MessageType.FindFieldByNumber(1);
                valueField = field.MessageType.FindFieldByNumber(2);
                if (key.FieldType != FieldType.String)
                    errors.Add($"{scope}: map field '{fieldName}' needs string keys to be mapped");
                if (string.IsNullOrEmpty(mapKey))
                {
                    errors.Add($"{scope}: map field '{fieldName}' takes 'field.key' or 'field.*' as target, not '{target}'");
                    return null;
                }
            }
            else if (mapKey is not null)
            {
                errors.Add($"{scope}: '{target}': only map fields take a key after '.'");
                return null;
            }
            if (valueField.FieldType is FieldType.Message or FieldType.Group)
            {
                errors.Add($"{scope}: '{target}' is a message field; map its own fields instead");
                return null;
            }

            mapping.Fields.TryGetValue(target, out var path);
            string[][] source = string.IsNullOrWhiteSpace(path)
                ? []
                : path.Split('|', StringSplitOptions.TrimEntries).Select(a => a.Split('.')).ToArray();
            if (source.Any(a => a.Any(string.IsNullOrEmpty)))
                errors.Add($"{scope}: source path '{path}' of '{target}' has an empty segment");

            var values = mapping.Values.TryGetValue(target, out var table)
                ? new Dictionary<string, string>(table, StringComparer.OrdinalIgnoreCase)
                : null;
            mapping.Defaults.TryGetValue(target, out var @default);
            var rule = new FieldRule(target, field, valueField, mapKey, source, values, @default);

            if (values is not null)
                foreach (var unified in values.Values)
                    if (!rule.TryConvert(unified, out _)) errors.Add($"{scope}: Values of '{target}': '{unified}' does not fit a {valueField.FieldType} field");
            if (@default is not null && !rule.TryConvert(@default, out _))
                errors.Add($"{scope}: default of '{target}': '{@default}' does not fit a {valueField.FieldType} field");
            if (mapKey == "*" && @default is not null)
                errors.Add($"{scope}: '{target}' copies a whole object and cannot have a default");
            return rule;
        }

        public void Apply(IMessage message, JsonElement record, ICollection<string>? problems)
        {
            var found = Resolve(record);
            if (_mapKey == "*")
            {
                if (found is not { ValueKind: JsonValueKind.Object } source) return;
                var map = (IDictionary)_field.Accessor.GetValue(message);
                foreach (var member in source.EnumerateObject())
                    if (Text(member.Value) is { } text && Convert(text, problems) is { } value) map[member.Name] = value;
                return;
            }

            if (_field.IsRepeated && !_field.IsMap && found is { ValueKind: JsonValueKind.Array } items)
            {
                var list = (IList)_field.Accessor.GetValue(message);
                foreach (var item in items.EnumerateArray())
                    if (Text(item) is { } text && Convert(text, problems) is { } value) list.Add(value);
                return;
            }

            string? raw = found is { } element ? Text(element) : null;
            if (raw is null && _default is null) return;
            if (Convert(raw ?? _default!, problems) is not { } converted) return;
            if (_field.IsMap) ((IDictionary)_field.Accessor.GetValue(message))[_mapKey!] = converted;
            else if (_field.IsRepeated) ((IList)_field.Accessor.GetValue(message)).Add(converted);
            else _field.Accessor.SetValue(message, converted);
        }

        /// <summary>The first alternative path that leads to a value other than null or "".</summary>
        private JsonElement? Resolve(JsonElement record)
        {
            foreach (var path in _source)
            {
                var current = record;
                bool found = true;
                foreach (var segment in path)
                {
                    if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next)) current = next;
                    else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                             && index < current.GetArrayLength()) current = current[index];
                    else { found = false; break; }
                }
                if (found && current.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                    && !(current.ValueKind == JsonValueKind.String && current.GetString() is ""))
                    return current;
            }
            return null;
        }

        private object? Convert(string text, ICollection<string>? problems)
        {
            if (_values is not null && (_values.TryGetValue(text, out var unified) || _values.TryGetValue("*", out unified))) text = unified;
            if (TryConvert(text, out var value)) return value;
            problems?.Add($"'{_target}': '{Shorten(text)}' does not fit a {_valueField.FieldType} field");
            return null;
        }

        public bool TryConvert(string text, out object? value)
        {
            value = null;
            var ci = CultureInfo.InvariantCulture;
            switch (_valueField.FieldType)
            {
                case FieldType.String: value = text; return true;
                case FieldType.Bytes: value = ByteString.CopyFromUtf8(text); return true;
                case FieldType.Bool:
                    switch (text.Trim().ToLowerInvariant())
                    {
                        case "true" or "1" or "yes" or "y" or "on": value = true; return true;
                        case "false" or "0" or "no" or "n" or "off" or "": value = false; return true;
                        default: return false;
                    }
                case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                    if (TryInteger(text, out var i32) && i32 is >= int.MinValue and <= int.MaxValue) value = (int)i32;
                    break;
                case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                    if (TryInteger(text, out var i64) && i64 is >= long.MinValue and <= long.MaxValue) value = (long)i64;
                    break;
                case FieldType.UInt32 or FieldType.Fixed32:
                    if (TryInteger(text, out var u32) && u32 is >= 0 and <= uint.MaxValue) value = (uint)u32;
                    break;
                case FieldType.UInt64 or FieldType.Fixed64:
                    if (TryInteger(text, out var u64) && u64 is >= 0 and <= ulong.MaxValue) value = (ulong)u64;
                    break;
                case FieldType.Double:
                    if (TryDouble(text, out var d)) value = d;
                    break;
                case FieldType.Float:
                    if (TryDouble(text, out var f)) value = (float)f;
                    break;
                case FieldType.Enum:
                    value = EnumValue(text);
                    break;
            }
            return value is not null;

            bool TryInteger(string s, out decimal result) =>
                decimal.TryParse(s, NumberStyles.Float, ci, out result) && result == decimal.Truncate(result);

            bool TryDouble(string s, out double result)
            {
                switch (s)
                {
                    case "INF": result = double.PositiveInfinity; return true;
                    case "-INF": result = double.NegativeInfinity; return true;
                    case "NAN": result = double.NaN; return true;
                    default: return double.TryParse(s, NumberStyles.Float, ci, out result);
                }
            }
        }

        private object? EnumValue(string text)
        {
            var type = _valueField.EnumType;
            var match = type.FindValueByName(text) ?? type.Values.FirstOrDefault(v =>
                string.Equals(v.Name, text, StringComparison.OrdinalIgnoreCase)
                || string.Equals(v.Name, $"{Prefix(type.Name)}_{text}", StringComparison.OrdinalIgnoreCase));
            if (match is null && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
                match = type.FindValueByNumber(number);
            return match is null ? null : Enum.ToObject(type.ClrType, match.Number);

            // Availability -> AVAILABILITY, OrderStatus -> ORDER_STATUS (protobuf's enum value prefix style).
            static string Prefix(string name) =>
                string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));
        }

        private static string? Text(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Array when element.EnumerateArray().All(e => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) =>
                string.Join(", ", element.EnumerateArray().Select(Text).Where(t => t is not null)),
            JsonValueKind.Object or JsonValueKind.Array => element.GetRawText(),
            _ => null,
        };

        private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
    }
}

/// <summary>A mapping configuration that does not fit the contract message.</summary>
public sealed class LegacyMappingException(string message, IReadOnlyList<string> problems)
    : Exception($"field mapping onto {message} is invalid: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
