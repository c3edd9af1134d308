using System.Buffers.Binary;
using CsCheck;
using CustomerService.Gateway.Limits;

namespace CustomerService.Gateway.Tests;

/// <summary>The frame reader must find every header however TCP splits the bytes, and relay nothing of a frame too large.</summary>
public sealed class FrameLimitedStreamTests
{
    private const int Limit = 1000;

    /// <summary>A client frame (RFC 6455 §5.2: clients always mask) with the shortest length encoding, or a longer one.</summary>
    private static byte[] Frame(int payload, bool longEncoding)
    {
        var header = new List<byte> { 0x82 };
        if (payload < 126 && !longEncoding) header.Add((byte)(0x80 | payload));
        else if (payload <= ushort.MaxValue && !longEncoding)
        {
            header.Add(0x80 | 126);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)payload);
            header.AddRange(length);
        }
        else
        {
            header.Add(0x80 | 127);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload);
            header.AddRange(length);
        }
        header.AddRange([1, 2, 3, 4]);
        return [.. header, .. Enumerable.Repeat((byte)0xAB, payload)];
    }

    /// <summary>Reads everything through the limiter in reads of the given sizes; returns what was relayed and whether it cut.</summary>
    private static (byte[] Relayed, bool Cut) Relay(byte[] wire, int[] readSizes)
    {
        using var stream = new FrameLimitedStream(new MemoryStream(wire), Limit, _ => { });
        var relayed = new MemoryStream();
        var buffer = new byte[readSizes.Max()];
        for (var i = 0; ; i++)
        {
            int read;
            try { read = stream.Read(buffer, 0, readSizes[i % readSizes.Length]); }
            catch (IOException) { return (relayed.ToArray(), true); }
            if (read == 0) return (relayed.ToArray(), false);
            relayed.Write(buffer, 0, read);
        }
    }

    [Fact]
    public void Frames_within_the_limit_pass_whole_and_the_first_too_large_cuts_before_its_bytes_are_relayed()
    {
        Gen.Select(Gen.Int[0, 2 * Limit].Select(Gen.Bool).Array[1, 8], Gen.Int[1, 300].Array[1, 5]).Sample((frames, readSizes) =>
        {
            var encoded = frames.Select(f => Frame(f.Item1, f.Item2)).ToArray();
            var wire = encoded.SelectMany(f => f).ToArray();
            var firstTooLarge = Array.FindIndex(frames, f => f.Item1 > Limit);

            var (relayed, cut) = Relay(wire, readSizes);

            if (firstTooLarge < 0)
            {
                Assert.False(cut);
                Assert.Equal(wire, relayed);
            }
            else
            {
                Assert.True(cut);
                // The earlier frames went through, and at most part of the large frame's header: none of its payload.
                var before = encoded.Take(firstTooLarge).Sum(f => f.Length);
                var header = encoded[firstTooLarge].Length - frames[firstTooLarge].Item1;
                Assert.InRange(relayed.Length, 0, before + header - 1);
                Assert.Equal(wire.AsSpan(0, relayed.Length).ToArray(), relayed);
            }
        });
    }
}
