namespace CustomerService.Session.Sockets;

/// <summary>
/// Called just before a socket joins a conversation's live delivery and reads what it is owed of it (an agent's
/// assignment or transfer, a hello, a resume): the point where a message in flight could fall between the two.
/// Nothing happens here in the service; the race tests hold it to make that message arrive right there.
/// </summary>
public class JoinProbe
{
    public virtual ValueTask BeforeJoinAsync(string tenant, string conversationId, string userId) => ValueTask.CompletedTask;
}
