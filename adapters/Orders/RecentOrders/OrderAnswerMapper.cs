using System.Globalization;
using System.Text.Json;
using CustomerService.AdapterKit.Envelope;
using CustomerService.AdapterKit.Mapping;
using CustomerService.Contracts;
using CustomerService.Orders.LegacyOrderSystem;
using Microsoft.Extensions.Options;

namespace CustomerService.Orders.RecentOrders;

/// <summary>
/// The order system's answer (JSON, or XML turned into JSON) → a <see cref="UnifiedMessage"/> → one
/// <see cref="Order"/> per record: the plain fields through the tenant's AdapterKit mapping ("Orders:Mapping"),
/// amount, time and lines through the tenant's <see cref="OrderRecordShape"/> ("Orders:Records").
/// </summary>
public sealed class OrderAnswerMapper(LegacyMapper<Order> mapper, IOptions<OrderRecordShapes> shapes)
{
    private readonly OrderRecordShapes _shapes = shapes.Value;

    /// <summary>The answer in the platform's envelope: the body as JSON, its original format in the metadata.</summary>
    /// <exception cref="FormatException">The answer is neither well-formed JSON nor well-formed XML.</exception>
    public static UnifiedMessage Envelope(OrderSystemAnswer answer, string tenantId)
    {
        bool xml = answer.MediaType is { } type ? type.EndsWith("xml", StringComparison.Ordinal) : LooksLikeXml(answer.Body);
        byte[] json = xml ? XmlToJson.Convert(answer.Body) : answer.Body;
        if (!xml)
        {
            try { using var _ = JsonDocument.Parse(json); }
            catch (JsonException e) { throw new FormatException($"malformed JSON: {e.Message}", e); }
        }
        return LegacyEnvelope.FromJson(Protocol.Http, json, OrderSystemClient.SystemName, tenantId, xml ? "xml" : "json",
            [new(LegacyMetadata.Source, answer.Source)]);
    }

    /// <summary>The orders of an answer, at most <paramref name="limit"/>; what does not fit a field is described in <paramref name="problems"/>.</summary>
    public List<Order> Map(UnifiedMessage message, int limit, ICollection<string>? problems = null)
    {
        message.Metadata.TryGetValue(LegacyMetadata.Tenant, out var tenantId);
        var shape = _shapes.For(tenantId);
        using var body = LegacyEnvelope.ParseBody(message);
        var orders = new List<Order>();
        foreach (var record in RecordPath.Items(Resolve(body.RootElement, shape.Orders)))
        {
            if (orders.Count >= limit) break;
            if (record.ValueKind != JsonValueKind.Object) { problems?.Add("an order record that is not an object was skipped"); continue; }
            var order = mapper.Map(record, tenantId, problems);
            if (AmountOf(record, shape, problems) is { } amount) order.AmountCents = amount;
            if (CreatedAtOf(record, shape, problems) is { } createdAt) order.CreatedAtUnixMs = createdAt;
            order.Items.AddRange(ItemsOf(record, shape));
            orders.Add(order);
        }
        return orders;
    }

    private static long? AmountOf(JsonElement record, OrderRecordShape shape, ICollection<string>? problems)
    {
        if (RecordPath.Text(Resolve(record, shape.Amount)) is not { } text) return null;
        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
        {
            var minor = decimal.Round(amount * (shape.AmountScale ?? 100), MidpointRounding.AwayFromZero);
            if (minor is >= long.MinValue and <= long.MaxValue) return (long)minor;
        }
        problems?.Add($"amount '{text}' is not a decimal number");
        return null;
    }

    private static long? CreatedAtOf(JsonElement record, OrderRecordShape shape, ICollection<string>? problems)
    {
        if (RecordPath.Text(Resolve(record, shape.CreatedAt)) is not { } text) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
            // Ten digits or fewer are seconds (until the year 2286); more are milliseconds.
            return Math.Abs(epoch) < 100_000_000_000 ? epoch * 1000 : epoch;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time.ToUnixTimeMilliseconds();
        problems?.Add($"creation time '{text}' is neither epoch time nor ISO-8601");
        return null;
    }

    private static IEnumerable<string> ItemsOf(JsonElement record, OrderRecordShape shape)
    {
        foreach (var item in RecordPath.Items(Resolve(record, shape.Items)))
        {
            string? name = item.ValueKind == JsonValueKind.String ? item.GetString() : RecordPath.Text(Resolve(item, shape.ItemName));
            if (string.IsNullOrWhiteSpace(name)) continue;
            string? quantity = item.ValueKind == JsonValueKind.Object ? RecordPath.Text(Resolve(item, shape.ItemQuantity)) : null;
            yield return quantity is null or "1" ? name : $"{name} ×{quantity}";
        }
    }

    private static JsonElement? Resolve(JsonElement record, string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : RecordPath.Resolve(record, RecordPath.Parse(path));

    private static bool LooksLikeXml(byte[] body)
    {
        foreach (byte b in body)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF) continue;
            return b == (byte)'<';
        }
        return false;
    }
}
