using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CustomerService.ChatLoad;

/// <summary>
/// Reads every audited conversation's transcript back through the gateway's history API (as a supervisor of the run's
/// tenant) until each acked customer message is archived, or the archive's patience runs out. Paced under the
/// gateway's per-subject limit; a 429 is waited out and counted.
/// </summary>
public sealed class ArchiveCheck(Uri gateway, string token)
{
    private const int PageSize = 500;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(25);

    /// <param name="conversations">The audited conversations of this token's tenant (all of them when null).</param>
    public async Task<ArchiveResult> RunAsync(DeliveryAudit audit, TimeSpan patience, IReadOnlyCollection<string>? conversations = null)
    {
        conversations ??= audit.Conversations;
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var pending = new HashSet<string>(conversations);
        long archived = 0, doubled = 0, refused = 0;
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            foreach (var conversation in pending.ToArray())
            {
                var acked = audit.AckedIn(conversation);
                var (stored, wasRefused) = await ReadCustomerMessagesAsync(http, conversation);
                refused += wasRefused;
                if (acked.All(a => stored.TryGetValue(a.Value, out var seqs) && seqs.Contains(a.Key)) || DateTime.UtcNow >= deadline)
                {
                    pending.Remove(conversation);
                    archived += acked.Count(a => stored.TryGetValue(a.Value, out var seqs) && seqs.Contains(a.Key));
                    doubled += stored.Values.Sum(seqs => seqs.Count - 1);
                }
                await Task.Delay(Pace);
            }
            if (pending.Count == 0) break;
            await Task.Delay(TimeSpan.FromSeconds(1)); // HistoryWriter archives in batches: give it a moment
        }
        long acknowledged = conversations.Sum(c => (long)audit.AckedIn(c).Count);
        return new ArchiveResult(archived, acknowledged - archived, doubled, refused);
    }

    /// <summary>The customer messages of one transcript: client id → the seqs it is stored under.</summary>
    private static async Task<(Dictionary<string, List<long>> Stored, long Refused)> ReadCustomerMessagesAsync(HttpClient http, string conversation)
    {
        var stored = new Dictionary<string, List<long>>();
        long refused = 0;
        for (long? after = 0; after is not null;)
        {
            using var response = await http.GetAsync($"/api/history/conversations/{conversation}/messages?after={after}&limit={PageSize}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused++;
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }
            if (response.StatusCode == HttpStatusCode.NotFound) break; // nothing archived yet
            response.EnsureSuccessStatusCode();
            using var page = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            foreach (var message in page.RootElement.GetProperty("messages").EnumerateArray())
            {
                if (message.GetProperty("senderKind").GetString() != "customer") continue;
                var id = message.GetProperty("messageId").GetString()!;
                if (!stored.TryGetValue(id, out var seqs)) stored[id] = seqs = [];
                seqs.Add(message.GetProperty("seq").GetInt64());
            }
            after = page.RootElement.TryGetProperty("nextAfter", out var next) && next.ValueKind == JsonValueKind.Number ? next.GetInt64() : null;
        }
        return (stored, refused);
    }
}
