using System.Collections.Concurrent;

namespace CustomerService.Session.Sockets;

/// <summary>
/// The sockets on this replica, indexed by conversation and by user, so a message or event arriving from NATS
/// reaches exactly the local participants. Other replicas hold their own participants and get the same events.
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ClientConnection, byte>> _byConversation = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ClientConnection, byte>> _byUser = new();

    public static string ConversationKey(string tenant, string conversation) => $"{tenant}/{conversation}";
    private static string UserKey(string tenant, string user) => $"{tenant}/{user}";

    public int Count => _byUser.Values.Sum(s => s.Count);

    public void AddUser(ClientConnection connection) =>
        _byUser.GetOrAdd(UserKey(connection.Identity.Tenant, connection.Identity.UserId), _ => new()).TryAdd(connection, 0);

    public void Join(ClientConnection connection, string conversation)
    {
        var key = ConversationKey(connection.Identity.Tenant, conversation);
        connection.Conversations.TryAdd(key, 0);
        _byConversation.GetOrAdd(key, _ => new()).TryAdd(connection, 0);
    }

    /// <summary>Every local socket of a user joins the conversation (an agent's console may be open in two tabs).</summary>
    public void JoinUser(string tenant, string user, string conversation)
    {
        foreach (var connection in ForUser(tenant, user)) Join(connection, conversation);
    }

    public void Leave(ClientConnection connection, string conversationKey)
    {
        connection.Conversations.TryRemove(conversationKey, out _);
        if (_byConversation.TryGetValue(conversationKey, out var set))
        {
            set.TryRemove(connection, out _);
            if (set.IsEmpty) _byConversation.TryRemove(new KeyValuePair<string, ConcurrentDictionary<ClientConnection, byte>>(conversationKey, set));
        }
    }

    public void LeaveUser(string tenant, string user, string conversation)
    {
        var key = ConversationKey(tenant, conversation);
        foreach (var connection in ForUser(tenant, user)) Leave(connection, key);
    }

    public void LeaveAll(string tenant, string conversation)
    {
        var key = ConversationKey(tenant, conversation);
        if (_byConversation.TryRemove(key, out var set))
            foreach (var connection in set.Keys) connection.Conversations.TryRemove(key, out _);
    }

    /// <summary>Forgets a closed socket. Returns true when it was the user's last socket on this replica.</summary>
    public bool Remove(ClientConnection connection)
    {
        foreach (var key in connection.Conversations.Keys) Leave(connection, key);
        var userKey = UserKey(connection.Identity.Tenant, connection.Identity.UserId);
        if (!_byUser.TryGetValue(userKey, out var set)) return true;
        set.TryRemove(connection, out _);
        if (!set.IsEmpty) return false;
        _byUser.TryRemove(new KeyValuePair<string, ConcurrentDictionary<ClientConnection, byte>>(userKey, set));
        return true;
    }

    public IEnumerable<ClientConnection> ForConversation(string tenant, string conversation) =>
        _byConversation.TryGetValue(ConversationKey(tenant, conversation), out var set) ? set.Keys : [];

    public IEnumerable<ClientConnection> ForUser(string tenant, string user) =>
        _byUser.TryGetValue(UserKey(tenant, user), out var set) ? set.Keys : [];

    public bool HasUser(string tenant, string user) => _byUser.ContainsKey(UserKey(tenant, user));

    public void Broadcast(string tenant, string conversation, byte[] frame)
    {
        if (!_byConversation.TryGetValue(ConversationKey(tenant, conversation), out var set)) return;
        foreach (var connection in set.Keys) connection.Send(frame);
    }

    public void SendToUser(string tenant, string user, byte[] frame)
    {
        foreach (var connection in ForUser(tenant, user)) connection.Send(frame);
    }
}
