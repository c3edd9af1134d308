using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CustomerService.Contracts;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;

namespace CustomerService.Session.Tests;

/// <summary>
/// The parser of client frames (<see cref="SocketSession.Parse"/>) over fuzzed bytes (<see cref="FrameFuzz"/>): whatever
/// it is given, it returns a frame with a type or refuses with a <c>malformed</c> error frame, never throws, and tells
/// frames from non-frames as the JSON itself says (<see cref="FrameFuzz.Oracle"/>). Fixed seeds: the same inputs on every
/// run; a failure names its seed, input number and the input.
/// </summary>
public sealed class FrameParserFuzzTests
{
    public static readonly TheoryData<int> Seeds = new(1, 7, 42, 1337, 20261207);

    [Theory, MemberData(nameof(Seeds))]
    public void Any_bytes_parse_to_a_frame_or_a_malformed_error_and_never_throw(int seed)
    {
        var inputs = FrameFuzz.RandomInputs(new Random(seed), 4000).ToList();
        var outcomes = new Dictionary<(bool Parsed, Verdict Expected), int>();
        var undecided = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var outcome = Check($"seed {seed}, input {i}", inputs[i]);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (outcome.Expected == Verdict.Either) undecided.Add(inputs[i].Kind);
        }
        // Not a vacuous property: both frames and refusals, each in numbers, as the JSON says.
        var counts = string.Join(", ", outcomes.Select(o => $"{o.Key}: {o.Value}"))
            + "; undecided: " + string.Join(", ", undecided.CountBy(k => k).OrderByDescending(k => k.Value).Take(8).Select(k => $"{k.Key} ({k.Value})"));
        Assert.True(outcomes.GetValueOrDefault((true, Verdict.Frame)) > 400, counts);
        Assert.True(outcomes.GetValueOrDefault((false, Verdict.Malformed)) > 1000, counts);
        Assert.True(outcomes.Where(o => o.Key.Expected == Verdict.Either).Sum(o => o.Value) < inputs.Count / 20, counts);
    }

    [Fact]
    public void Every_field_with_every_odd_value_and_every_odd_document_parses_to_a_frame_or_a_malformed_error()
    {
        var inputs = FrameFuzz.EdgeInputs(huge: false).Concat(FrameFuzz.EdgeInputs(huge: true)).ToList();
        Assert.True(inputs.Count > 1500, $"only {inputs.Count} edge inputs");
        for (int i = 0; i < inputs.Count; i++) Check($"edge input {i}", inputs[i]);
    }

    /// <returns>Whether it parsed, and what the JSON says it is.</returns>
    private static (bool Parsed, Verdict Expected) Check(string which, FuzzInput input)
    {
        ClientFrame? frame;
        byte[]? refusal;
        try
        {
            frame = SocketSession.Parse(input.Bytes, out refusal);
        }
        catch (Exception e)
        {
            Assert.Fail($"{which} threw {e.GetType().Name}: {e.Message}\ninput: {input}");
            throw;
        }
        var expected = FrameFuzz.Oracle(input.Bytes, out var type);
        if (frame is null)
        {
            Assert.True(refusal is not null, $"{which}: refused without an error frame\ninput: {input}");
            var error = JsonNode.Parse(refusal)!;
            Assert.True((string?)error["type"] == "error" && (string?)error["code"] == "malformed" && !string.IsNullOrWhiteSpace((string?)error["message"]),
                $"{which}: answered {error.ToJsonString()}\ninput: {input}");
            Assert.True(expected != Verdict.Frame, $"{which}: a well-formed frame of type '{type}' refused: {error["message"]}\ninput: {input}");
        }
        else
        {
            Assert.True(refusal is null && frame.Type is not null, $"{which}: a frame without a type, or with an error\ninput: {input}");
            Assert.True(expected != Verdict.Malformed, $"{which}: taken as a '{frame.Type}' frame, but it is none\ninput: {input}");
            if (expected == Verdict.Frame) Assert.True(type == frame.Type, $"{which}: type '{frame.Type}', the JSON says '{type}'\ninput: {input}");
            // What a parsed ticket frame's ids may be: 1–64 of [A-Za-z0-9_-], nothing after (docs/protocol.md).
            if (frame.Type == FrameTypes.Ticket && global::CustomerService.Session.Tickets.TicketDesk.Validate(frame).Input is not null)
                Assert.True(FrameFuzz.ValidId(frame.ConversationId) && (frame.ClientId is null || FrameFuzz.ValidId(frame.ClientId)),
                    $"{which}: a ticket taken with conversationId '{frame.ConversationId}', clientId '{frame.ClientId}'\ninput: {input}");
        }
        return (frame is not null, expected);
    }
}

/// <summary>
/// Hundreds of fuzzed frames on one customer socket of a real Session (real NATS and Redis), text and binary: each is
/// answered by the error frame the protocol gives it (<see cref="FrameFuzz.ExpectedCustomerError"/>), the socket stays
/// open, and afterwards a ping gets its pong, a message is acked with the next seq, and a resume holds both the message
/// sent before the fuzz and the one after. The frame budget is raised so that every frame is answered on its own
/// merits, and frames go one at a time (each waits for its answer), far under the inbox.
/// </summary>
public sealed class FrameFuzzTests(FrameFuzzTests.Fixture fixture) : IClassFixture<FrameFuzzTests.Fixture>
{
    private const int MaxFrameBytes = 16 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Fuzzed_text_frames_each_get_their_error_and_the_socket_goes_on() =>
        FuzzAsync("v-text", binary: false);

    [Fact]
    public Task Fuzzed_binary_frames_each_get_their_error_and_the_socket_goes_on() =>
        FuzzAsync("v-binary", binary: true);

    private async Task FuzzAsync(string visitor, bool binary)
    {
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(fixture.Tenant, visitor, "alice");
        await using var _ = customer;
        await customer.SendAsync(new { type = "message", clientId = "before", text = "sent before the fuzz", conversationId = conversation.Id });
        Assert.Equal(1, (long?)(await customer.NextAsync("ack", Patience))["seq"]);

        // A conversation no one has: the frames made for it are refused whatever they say. Text frames are UTF-8
        // (RFC 6455 closes a text frame that is not, with 1007): the others go as binary ones.
        var inputs = new List<FuzzInput>();
        foreach (var seed in new[] { 1, 7, 42 })
            inputs.AddRange(FrameFuzz.RandomInputs(new Random(seed), 150, conversationId: "conv-nobody").Select(i => i with { Kind = $"seed {seed}: {i.Kind}" }));
        inputs.AddRange(FrameFuzz.EdgeInputs(huge: false).Where(i => i.Kind.StartsWith("message with", StringComparison.Ordinal)
            || i.Kind.StartsWith("resume with", StringComparison.Ordinal) || !i.Kind.Contains(" with ", StringComparison.Ordinal)));
        inputs.AddRange(FrameFuzz.EdgeInputs(huge: true).Where(i => i.Kind.StartsWith("message with", StringComparison.Ordinal) || i.Kind == "document"));
        inputs = inputs.Select(i => i with { Binary = binary || !i.IsUtf8 }).Where(i => binary || !i.Binary).ToList();

        customer.Pending();
        customer.Seen.Clear();
        int sent = 0;
        foreach (var input in inputs)
        {
            if (FrameFuzz.ExpectedCustomerError(input.Bytes, MaxFrameBytes) is not { } expected) continue;
            sent++;
            await customer.SendBytesAsync(input.Bytes, input.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
            JsonNode answer;
            try
            {
                answer = await customer.NextAsync("error", Patience);
            }
            catch (TimeoutException e)
            {
                Assert.Fail($"no answer (socket {customer.State}) to {input}\n{e.Message}");
                return;
            }
            Assert.True((string?)answer["code"] == expected && !string.IsNullOrWhiteSpace((string?)answer["message"]),
                $"expected '{expected}', got {answer.ToJsonString()} for {input}");
        }
        Assert.True(sent >= 300, $"only {sent} fuzzed frames sent");

        Assert.Equal(WebSocketState.Open, customer.State);
        await customer.SendAsync(new { type = "ping" });
        await customer.NextAsync("pong", Patience);
        customer.Pending();
        // One error per fuzzed frame and nothing else: no frame answered twice, none taken.
        Assert.Equal(sent, customer.Seen.Count(f => (string?)f["type"] == "error"));
        Assert.All(customer.Seen, f => Assert.Contains((string?)f["type"], new[] { "error", "pong" }));

        await AfterwardsAsync(customer, conversation.Id, "before");
    }

    /// <summary>The socket still works: a message is acked with the next seq, and a resume holds it and the one before.</summary>
    private static async Task AfterwardsAsync(TestSocket customer, string conversationId, string before)
    {
        await customer.SendAsync(new { type = "message", clientId = "after", text = "sent after the fuzz", conversationId });
        var ack = await customer.NextAsync("ack", Patience, f => (string?)f["clientId"] == "after");
        Assert.Equal(2, (long?)ack["seq"]);
        Assert.False((bool?)ack["duplicate"]);
        await customer.SendAsync(new { type = "resume", conversationId, lastSeq = 0 });
        var resumed = await customer.NextAsync("conversation", Patience);
        var messages = resumed["messages"]!.AsArray();
        Assert.Equal([(1L, before), (2L, "after")], messages.Select(m => ((long)m!["seq"]!, (string)m["clientId"]!)).ToArray());
    }

    /// <summary>A conversation of <paramref name="visitor"/> assigned to alice, with one message ("first") acked.</summary>
    private async Task<(Conversations.Conversation Conversation, TestSocket Customer)> WithFirstMessageAsync(string visitor, string text)
    {
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(fixture.Tenant, visitor, "alice");
        await customer.SendAsync(new { type = "message", clientId = "first", text, conversationId = conversation.Id });
        await customer.NextAsync("ack", Patience);
        return (conversation, customer);
    }

    [Fact]
    public async Task A_frame_at_the_size_limit_is_read_and_one_over_it_is_refused_as_too_large()
    {
        var (conversation, customer) = await WithFirstMessageAsync("v-size", "before the big frames");
        await using var _ = customer;

        // {"type":"ping","pad":"xxx…"}, padded to the given length.
        static byte[] Ping(int length)
        {
            var head = "{\"type\":\"ping\",\"pad\":\""u8.ToArray();
            return [.. head, .. Enumerable.Repeat((byte)'x', length - head.Length - 2), .. "\"}"u8];
        }

        foreach (var type in new[] { WebSocketMessageType.Text, WebSocketMessageType.Binary })
        {
            await customer.SendBytesAsync(Ping(MaxFrameBytes), type);
            await customer.NextAsync("pong", Patience);
            await customer.SendBytesAsync(Ping(MaxFrameBytes + 1), type);
            Assert.Equal("frame_too_large", (string?)(await customer.NextAsync("error", Patience))["code"]);
            await customer.SendBytesAsync(Ping(1024 * 1024), type);
            Assert.Equal("frame_too_large", (string?)(await customer.NextAsync("error", Patience))["code"]);

            // The same in fragments: at the limit in two halves, at the limit with an empty last fragment, over it.
            var atLimit = Ping(MaxFrameBytes);
            await customer.SendBytesAsync(atLimit[..(MaxFrameBytes / 2)], type, endOfMessage: false);
            await customer.SendBytesAsync(atLimit[(MaxFrameBytes / 2)..], type);
            await customer.NextAsync("pong", Patience);
            await customer.SendBytesAsync(atLimit, type, endOfMessage: false);
            await customer.SendBytesAsync(Array.Empty<byte>(), type);
            await customer.NextAsync("pong", Patience);
            var over = Ping(MaxFrameBytes + 1);
            await customer.SendBytesAsync(over[..MaxFrameBytes], type, endOfMessage: false);
            await customer.SendBytesAsync(over[MaxFrameBytes..], type);
            Assert.Equal("frame_too_large", (string?)(await customer.NextAsync("error", Patience))["code"]);
        }
        Assert.Equal(WebSocketState.Open, customer.State);
        await AfterwardsAsync(customer, conversation.Id, "first");
    }

    [Fact]
    public async Task Odd_numbers_and_ids_in_frames_for_the_customers_own_conversation_are_refused_or_answered_at_once()
    {
        var (conversation, customer) = await WithFirstMessageAsync("v-own", "before the odd frames");
        await using var _ = customer;
        var id = conversation.Id;

        // A lastSeq before the first message has no meaning; one past the last asks for nothing (an empty answer), at once.
        foreach (var lastSeq in new[] { "-1", "-1000000000", "-9223372036854775808" })
        {
            await customer.SendRawAsync($$"""{"type":"resume","conversationId":"{{id}}","lastSeq":{{lastSeq}}}""");
            var refused = await customer.NextAsync("error", Patience);
            Assert.True((string?)refused["code"] == "invalid", $"lastSeq {lastSeq}: {refused.ToJsonString()}");
        }
        foreach (var lastSeq in new[] { "1", "1000", "9223372036854775806", "9223372036854775807" })
        {
            var started = DateTime.UtcNow;
            await customer.SendRawAsync($$"""{"type":"resume","conversationId":"{{id}}","lastSeq":{{lastSeq}}}""");
            var answer = await customer.NextAsync("conversation", Patience);
            Assert.Empty(answer["messages"]!.AsArray());
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), $"lastSeq {lastSeq} answered after {DateTime.UtcNow - started}");
        }
        // Ids are 1–64 of [A-Za-z0-9_-]: a line break after one is no id (a regex's '$' matches before a last '\n').
        foreach (var clientId in new[] { "c1\\n", "c1\\r\\n", "\\nc1", "c\\u00e91", "" })
        {
            await customer.SendRawAsync($$"""{"type":"message","clientId":"{{clientId}}","text":"odd id","conversationId":"{{id}}"}""");
            var refused = await customer.NextAsync("error", Patience);
            Assert.True((string?)refused["code"] == "invalid", $"clientId \"{clientId}\": {refused.ToJsonString()}");
        }
        await customer.SendRawAsync($$"""{"type":"message","clientId":"c2","text":"odd conversation","conversationId":"{{id}}\n"}""");
        Assert.Equal("invalid", (string?)(await customer.NextAsync("error", Patience))["code"]);
        await customer.SendRawAsync($$"""{"type":"resume","conversationId":"{{id}}\n","lastSeq":0}""");
        Assert.Equal("invalid", (string?)(await customer.NextAsync("error", Patience))["code"]);

        Assert.Equal(WebSocketState.Open, customer.State);
        await AfterwardsAsync(customer, id, "first");
    }

    public sealed class Fixture() : SessionOnServers(new Dictionary<string, string?>
    {
        // Every fuzzed frame is answered on its merits, none refused for the rate (FrameBudgetTests test that).
        ["Session:CustomerFramesPerSecond"] = "100000",
        ["Session:CustomerFrameBurst"] = "100000",
        ["Session:MaxFrameBytes"] = MaxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Session:ContextWaitAtAssignment"] = "00:00:00",
    })
    {
        public string Tenant { get; } = "fuzz" + Guid.NewGuid().ToString("N")[..8];
    }
}
