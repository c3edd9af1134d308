using System.Text;
using CustomerService.Contracts;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// Chat messages made to break a transport: Chinese, emoji, blank lines, CR/LF runs, zero and control characters,
/// quotes, backslashes, SQL and ClickHouse syntax (FORMAT, semicolons, comments), long texts, and numbers whose bytes
/// hold newlines (seq 2570 = 0x0A0A). Random from a seed, so a failure names the seed that reproduces it.
/// </summary>
internal static class AdversarialMessages
{
    private static readonly string[] Pieces =
    [
        "我想要退款", "订单号 12345 还没到", "发票怎么开？", "😀", "👍🏽", "🇨🇳", "👨‍👩‍👧‍👦", "\n", "\n\n", "\r\n", "\r\n\r\n", "\n\n\n", "\0", "\0\0",
        "\t", "\\", "\\n", "'", "\"", "`", ";", ";\n", "\n;\n", "--", "/*", "*/", "{tenant:String}", "FORMAT RowBinary\n", "INSERT INTO x VALUES",
        "'; DROP TABLE messages; --", "\u0001\u0002\u0003\u007f", "\u2028\u2029", "\uFEFF", "ÿ", "\u00a0", "é", "ß", " ", "  ", "hello", "where is my order?",
    ];

    /// <summary>Texts that must be in every run, whatever the seed.</summary>
    public static readonly string[] Fixed =
    [
        "", "a\n\nb", "line one\n\nline three", "\n\n", "ends with a blank line\n\n", "\n\nstarts with one", "\r\n\r\n", "\0", "\0\n\n\0",
        "FORMAT RowBinary\n\nSELECT 1", "x;\n\nDROP TABLE messages;\n\n", "中文\n\n换行", "😀\n\n😀", new string('\n', 100),
    ];

    public static string Text(Random random)
    {
        var text = new StringBuilder();
        var kind = random.Next(10);
        var pieces = kind == 0 ? random.Next(200, 2000) : random.Next(0, 12);
        for (var i = 0; i < pieces; i++) text.Append(Pieces[random.Next(Pieces.Length)]);
        if (kind == 1) text.Append(Random(random, random.Next(1, 400)));
        return text.ToString();
    }

    private static long SentAt(long unixMs, bool newlinesInLowBytes) => newlinesInLowBytes ? (unixMs & ~0xFFFFL) + 0x0A0A : unixMs;

    /// <summary>Random UTF-16 text without lone surrogates (which UTF-8 cannot carry), any code point otherwise.</summary>
    private static string Random(Random random, int length)
    {
        var text = new StringBuilder(length * 2);
        for (var i = 0; i < length; i++)
        {
            var codePoint = random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0xD800),
                2 => random.Next(0xE000, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }
        return text.ToString();
    }

    /// <summary>
    /// <paramref name="count"/> messages of <paramref name="tenant"/> (the fixed texts first), with adversarial ids,
    /// names, metadata and quick replies, seq numbers and times whose bytes include 0x0A pairs.
    /// </summary>
    public static List<ChatMessage> Generate(string tenant, int count, int seed)
    {
        if (count > 4096) throw new ArgumentOutOfRangeException(nameof(count), "at most 4096 messages keep their seqs unique");
        var random = new Random(seed);
        var messages = new List<ChatMessage>(count);
        var baseTime = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            var seq = i switch
            {
                0 => 2570L, // 0x0A0A
                1 => 0x0A0A0A0A0AL,
                // Low bytes 0x0A0A, and unique per message (a repeated seq in one conversation has no defined order).
                _ => random.Next(3) == 0 ? 0x0A0A + (random.Next(1, 200_000) * 4096L + i) * 0x10000L : i + 1L,
            };
            var message = new ChatMessage
            {
                MessageId = $"m-{i}-" + (random.Next(4) == 0 ? Text(random) : Guid.NewGuid().ToString()),
                TenantId = tenant,
                ConversationId = "conv-" + (i % 7 == 0 ? "\n\n" : "") + random.Next(4),
                Seq = seq,
                Sender = new Participant
                {
                    Kind = (ParticipantKind)random.Next(1, 5),
                    Id = random.Next(5) == 0 ? Text(random) : $"user-{random.Next(100)}",
                    DisplayName = random.Next(2) == 0 ? Text(random) : "张三",
                },
                Text = i < Fixed.Length ? Fixed[i] : Text(random),
                // Around a day ago, to the millisecond, some with 0x0A0A in their low bytes.
                SentAtUnixMs = SentAt(baseTime + random.Next(86_400_000), random.Next(3) == 0),
            };
            for (var k = random.Next(3); k > 0; k--) message.Metadata[Text(random) + k] = Text(random);
            for (var k = random.Next(3); k > 0; k--) message.QuickReplies.Add(new QuickReply { Title = Text(random), Payload = Text(random) });
            messages.Add(message);
        }
        return messages;
    }
}
