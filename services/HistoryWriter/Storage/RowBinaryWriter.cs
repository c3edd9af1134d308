using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>
/// Encodes rows in ClickHouse's RowBinary format straight into a reusable buffer: no per-row objects, no text
/// formatting, and the same bytes for the embedded engine and the HTTP interface.
/// </summary>
internal readonly struct RowBinaryWriter(IBufferWriter<byte> output)
{
    public void String(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        VarUInt((ulong)length);
        if (length == 0) return;
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }

    /// <summary>Raw bytes as a ClickHouse String (which holds any bytes).</summary>
    public void Bytes(ReadOnlySpan<byte> value)
    {
        VarUInt((ulong)value.Length);
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void UInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    /// <summary>DateTime64(3): milliseconds since the Unix epoch.</summary>
    public void DateTime64Milliseconds(long unixMilliseconds) => Int64(unixMilliseconds);

    /// <summary>The LEB128 length prefix of strings, arrays and maps.</summary>
    public void VarUInt(ulong value)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        output.Advance(i);
    }
}
