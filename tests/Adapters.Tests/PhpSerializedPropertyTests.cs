using CsCheck;
using CustomerService.AdapterKit.Php;
using Xunit;

namespace CustomerService.Adapters.Tests;

public class PhpSerializedPropertyTests
{
    private static readonly byte[][] Samples = PhpOracle.Records.Select(r => r.Serialized).Where(s => s.Length < 4000).Take(120).ToArray();

    /// <summary>A record PHP wrote, then damaged: bytes flipped, inserted, deleted, digits changed, ranges duplicated.</summary>
    private static readonly Gen<byte[]> Mutated =
        from sample in Gen.Int[0, Samples.Length - 1].Select(i => Samples[i])
        from edits in Gen.Int[1, 8]
        from seed in Gen.ULong
        select Mutate(sample, edits, seed);

    [Fact]
    public void Damaged_records_raise_nothing_but_the_format_exception()
    {
        var options = new PhpUnserializeOptions { MaxDepth = 64, MaxOutputBytes = 4 * 1024 * 1024 };
        Mutated.Sample(input =>
        {
            try { PhpSerialized.ToJson(input, options); }
            catch (PhpSerializationException e) when (e.Offset >= 0 && e.Offset <= input.Length) { }
        }, iter: 20_000, threads: 1);
    }

    [Fact]
    public void Random_bytes_raise_nothing_but_the_format_exception()
    {
        var alphabet = "aOCsSidbNrRE:;{}\"0123456789-.+eINFA\\x"u8.ToArray();
        Gen.OneOf(Gen.Byte.Array[0, 200], Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]).Array[0, 200]).Sample(input =>
        {
            try { PhpSerialized.ToJson(input); }
            catch (PhpSerializationException e) when (e.Offset >= 0 && e.Offset <= input.Length) { }
        }, iter: 20_000, threads: 1);
    }

    private static byte[] Mutate(byte[] sample, int edits, ulong seed)
    {
        var random = new Random((int)(seed ^ (seed >> 32)));
        var bytes = new List<byte>(sample);
        ReadOnlySpan<byte> interesting = ":;{}\"0123456789-aOsiRr"u8;
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] = interesting[random.Next(interesting.Length)]; break;
                case 2: bytes.Insert(at, interesting[random.Next(interesting.Length)]); break;
                case 3: bytes.RemoveRange(at, Math.Min(random.Next(1, 8), bytes.Count - at)); break;
                case 4:
                    int length = Math.Min(random.Next(1, 40), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default:
                    if (bytes[at] is >= (byte)'0' and <= (byte)'9') bytes[at] = (byte)('0' + random.Next(10));
                    else bytes.Insert(at, (byte)'9');
                    break;
            }
        }
        return bytes.ToArray();
    }
}
