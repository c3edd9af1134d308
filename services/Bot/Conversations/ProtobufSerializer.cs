using System.Buffers;
using Google.Protobuf;
using NATS.Client.Core;

namespace CustomerService.Bot.Conversations;

/// <summary>Protobuf payloads on NATS, written straight into the connection's buffer and parsed from the received sequence.</summary>
internal sealed class ProtobufSerializer<T> : INatsSerializer<T> where T : IMessage<T>, new()
{
    public static readonly ProtobufSerializer<T> Default = new();

    private static readonly MessageParser<T> Parser = new(() => new T());

    public void Serialize(IBufferWriter<byte> bufferWriter, T value) => value.WriteTo(bufferWriter);

    public T? Deserialize(in ReadOnlySequence<byte> buffer) => Parser.ParseFrom(buffer);

    public INatsSerializer<T> CombineWith(INatsSerializer<T> next) => throw new NotSupportedException("protobuf payloads take no other serializer");
}
