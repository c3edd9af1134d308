using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.Session.Messaging;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Risk control on the message path: every customer and agent message is matched in one pass against the
/// tenant's sensitive-word lists. A hit is published for the risk-control system; the strictest policy of the
/// hit lists decides: flag (delivered as is, marked), mask (the words are starred for the recipient), or block
/// (refused with an error to the sender, nothing stored).
/// </summary>
public sealed class MessageScreening(TenantSensitiveWords words, ChatBus bus, TimeProvider time)
{
    public const string FlaggedMetadata = "risk.flagged";
    public const string MaskedMetadata = "risk.masked";

    public async Task<Screened> ScreenAsync(string tenant, string conversation, string clientId, Participant sender, string text, CancellationToken ct)
    {
        var scan = words.For(tenant).Scan(text);
        if (!scan.HasHits) return new Screened(text, Blocked: false, null);

        var risk = new RiskEvent
        {
            TenantId = tenant,
            ConversationId = conversation,
            MessageId = clientId,
            Sender = sender,
            Policy = PolicyName(scan.Policy),
            OccurredAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        risk.Words.AddRange(scan.Hits.Select(h => h.Word).Distinct());
        await bus.PublishRiskAsync(risk, ct);

        var flagged = string.Join(",", risk.Words);
        return scan.Policy switch
        {
            WordPolicy.Block => new Screened(text, Blocked: true, null),
            WordPolicy.Mask => new Screened(scan.Mask(text), Blocked: false, new() { [MaskedMetadata] = flagged }),
            _ => new Screened(text, Blocked: false, new() { [FlaggedMetadata] = flagged }),
        };
    }

    private static string PolicyName(WordPolicy policy) => policy switch
    {
        WordPolicy.Block => "block",
        WordPolicy.Mask => "mask",
        _ => "flag",
    };
}

public sealed record Screened(string Text, bool Blocked, Dictionary<string, string>? Metadata);
