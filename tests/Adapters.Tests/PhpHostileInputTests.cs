using System.Diagnostics;
using System.Text;
using CustomerService.AdapterKit.Php;
using Xunit;

namespace CustomerService.Adapters.Tests;

/// <summary>Input built to hurt: each is refused with a clear error, fast, without a large allocation.</summary>
[Collection(TimingCollection.Name)]
public class PhpHostileInputTests
{
    public static TheoryData<string> Hostile => new()
    {
        "deep arrays", "deep objects", "deep references", "length 2^31", "many elements", "exponential references", "huge input",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_input_fails_fast(string name)
    {
        byte[] input = HostileInput(name);
        Assert.Throws<PhpSerializationException>(() => PhpSerialized.ToJson(input)); // warm up the code paths
        PhpSerializationException? thrown = null;
        var best = TimeSpan.MaxValue;
        for (int run = 0; run < 3; run++) // the best of three: a busy machine should not fail the test
        {
            var clock = Stopwatch.StartNew();
            thrown = Assert.Throws<PhpSerializationException>(() => PhpSerialized.ToJson(input));
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }
        Assert.True(best.TotalMilliseconds < 100, $"{name}: {best.TotalMilliseconds:F1} ms ({thrown!.Message})");
        Assert.InRange(thrown!.Offset, 0, input.Length);
    }

    internal static byte[] HostileInput(string name)
    {
        const int deep = 100_000;
        return name switch
        {
            "deep arrays" => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a:1:{i:0;", deep)) + "N;" + new string('}', deep)),
            "deep objects" => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("O:8:\"stdClass\":1:{s:1:\"a\";", deep)) + "N;" + new string('}', deep)),
            // Each level holds the level before it twice: 60 levels would be 2^60 values written out.
            "exponential references" => Encoding.ASCII.GetBytes(ExponentialReferences(60)),
            "deep references" => Encoding.ASCII.GetBytes(DeepReferences(100)),
            "length 2^31" => Encoding.ASCII.GetBytes("a:1:{i:0;s:2147483648:\"" + new string('x', 1000) + "\";}"),
            "many elements" => Encoding.ASCII.GetBytes("a:2000000000:{" + string.Concat(Enumerable.Repeat("i:0;N;", 1000)) + "}"),
            "huge input" => new byte[PhpUnserializeOptions.Default.MaxInputBytes + 1],
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private static string ExponentialReferences(int levels)
    {
        // a:2:{i:0;a:2:{i:0;s:1000:"x...";i:1;R:3;}i:1;R:2;} ... every level is [previous, previous].
        var sb = new StringBuilder();
        for (int i = 0; i < levels; i++) sb.Append("a:2:{i:0;");
        sb.Append("s:1000:\"").Append('x', 1000).Append("\";i:1;R:").Append(levels + 1).Append(";}");
        for (int i = levels - 1; i >= 1; i--) sb.Append("i:1;R:").Append(i + 1).Append(";}");
        return sb.ToString();
    }

    private static string DeepReferences(int levels)
    {
        // 100 levels deep (within the input limit only by reusing one 100-deep value inside itself again).
        var inner = string.Concat(Enumerable.Repeat("a:1:{i:0;", levels)) + "N;" + new string('}', levels);
        return "a:2:{i:0;" + inner + "i:1;a:1:{i:0;" + string.Concat(Enumerable.Repeat("a:1:{i:0;", 27)) + "R:2;" + new string('}', 28) + "}";
    }
}
