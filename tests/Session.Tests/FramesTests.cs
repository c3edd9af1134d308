using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;

namespace CustomerService.Session.Tests;

/// <summary>The frames keep the shape docs/protocol.md promises to the widget and the console.</summary>
public sealed class FramesTests
{
    [Fact]
    public void A_message_frame_carries_the_documented_fields_in_camel_case()
    {
        var message = new ChatMessage
        {
            MessageId = "c1", TenantId = "demo", ConversationId = "conv1", Seq = 7, Text = "<b>你好</b>", SentAtUnixMs = 1234,
            Sender = new Participant { Kind = ParticipantKind.Bot, Id = "bot", DisplayName = "Bot" },
        };
        message.QuickReplies.Add(new QuickReply { Title = "人工", Payload = "human" });
        var json = JsonNode.Parse(Frames.Serialize(Frames.Message(message)))!;

        Assert.Equal("message", (string)json["type"]!);
        Assert.Equal("conv1", (string)json["conversationId"]!);
        Assert.Equal(7, (long)json["seq"]!);
        Assert.Equal("c1", (string)json["clientId"]!);
        Assert.Equal("bot", (string)json["sender"]!["kind"]!);
        Assert.Equal("<b>你好</b>", (string)json["text"]!);
        Assert.Equal("human", (string)json["quickReplies"]![0]!["payload"]!);
        Assert.Null(json["metadata"]); // absent, not null, when there is none
    }

    [Fact]
    public void Client_frames_parse_with_unknown_fields_ignored()
    {
        var frame = JsonSerializer.Deserialize("""{"type":"message","clientId":"x","text":"hi","conversationId":"c","extra":{"a":1}}"""u8,
            FrameJson.Default.ClientFrame)!;
        Assert.Equal("message", frame.Type);
        Assert.Equal("x", frame.ClientId);
        Assert.Equal("c", frame.ConversationId);
    }

    [Fact]
    public void An_error_frame_names_its_code_and_the_client_id_it_refers_to()
    {
        var json = JsonNode.Parse(Encoding.UTF8.GetString(Frames.Error("blocked", "not allowed", "c9")))!;
        Assert.Equal("error", (string)json["type"]!);
        Assert.Equal("blocked", (string)json["code"]!);
        Assert.Equal("c9", (string)json["clientId"]!);
    }
}
