using CustomerService.Contracts;
using CustomerService.Session.Conversations;

namespace CustomerService.Session.Tests;

public sealed class ConversationStatesTests
{
    [Theory]
    [InlineData("new", "queued")]
    [InlineData("new", "bot")]
    [InlineData("bot", "queued")]
    [InlineData("queued", "assigned")]
    [InlineData("assigned", "active")]
    [InlineData("active", "transferred")]
    [InlineData("transferred", "assigned")]
    [InlineData("active", "queued")]
    [InlineData("active", "ended")]
    [InlineData("queued", "ended")]
    public void The_lifecycle_moves_are_allowed(string from, string to) => Assert.True(ConversationStates.CanMove(from, to));

    [Theory]
    [InlineData("ended", "active")]
    [InlineData("ended", "queued")]
    [InlineData("queued", "active")]
    [InlineData("new", "active")]
    [InlineData("bot", "transferred")]
    [InlineData("queued", "transferred")]
    public void Moves_that_skip_or_reverse_the_lifecycle_are_refused(string from, string to) => Assert.False(ConversationStates.CanMove(from, to));

    [Fact]
    public void Every_state_maps_to_its_contract_value_and_back()
    {
        foreach (var state in new[] { "new", "bot", "queued", "assigned", "active", "transferred", "ended" })
        {
            var contract = ConversationStates.ToContract(state);
            Assert.NotEqual(ConversationState.Unspecified, contract);
            Assert.Equal(state, ConversationStates.FromContract(contract));
        }
    }

    [Fact]
    public void Only_an_ended_conversation_is_closed()
    {
        Assert.False(ConversationStates.IsOpen("ended"));
        Assert.True(ConversationStates.IsOpen("bot"));
        Assert.True(ConversationStates.IsOpen("active"));
    }
}
