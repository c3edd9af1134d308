using System.Buffers.Binary;

namespace CustomerService.Gateway.Limits;

/// <summary>
/// Reads WebSocket frame headers (RFC 6455 §5.2) as the client's bytes pass through, without copying or buffering
/// them, and fails the read that brings a frame longer than the limit, so not one byte of it is relayed.
/// </summary>
internal sealed class FrameLimitedStream(Stream inner, long maxFrameBytes, Action<ulong> onTooLarge) : Stream
{
    // A header is 2 bytes, then 0, 2 or 8 bytes of extended length, then 4 bytes of mask: at most 14.
    private readonly byte[] _header = new byte[14];
    private int _headerBytes;
    private ulong _payloadLeft;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Inspect(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Inspect(buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private void Inspect(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, (ulong)data.Length);
                _payloadLeft -= (ulong)skip;
                data = data[skip..];
                continue;
            }

            _header[_headerBytes++] = data[0];
            data = data[1..];
            if (_headerBytes < 2 || _headerBytes < HeaderLength()) continue;

            var size = PayloadLength();
            _headerBytes = 0;
            if (size > (ulong)maxFrameBytes)
            {
                onTooLarge(size);
                throw new IOException($"WebSocket frame of {size} bytes exceeds the gateway's limit of {maxFrameBytes} bytes.");
            }
            _payloadLeft = size;
        }
    }

    private int HeaderLength()
    {
        var length7 = _header[1] & 0x7F;
        var masked = (_header[1] & 0x80) != 0;
        return 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    }

    private ulong PayloadLength() => (_header[1] & 0x7F) switch
    {
        126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
        127 => BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
        var length => (ulong)length,
    };

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
