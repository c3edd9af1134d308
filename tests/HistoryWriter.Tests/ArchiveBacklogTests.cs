using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// The archive's backlog against the streams' limits, read from a real nats-server: what the archive has not taken,
/// how old it is, and what a stream discarded before the archive took it; the health check degrades past half a limit.
/// </summary>
public sealed class ArchiveBacklogTests(HistoryServiceFixture fixture) : IClassFixture<HistoryServiceFixture>
{
    [Fact]
    public async Task The_platform_streams_have_their_limits_and_a_keeping_up_archive_shows_no_backlog()
    {
        var data = new HistoryData();
        await fixture.Publisher.PublishAsync(data.Message("t-backlog", "conv-1", 1, ParticipantKind.Customer, "c-1", "hi", DateTimeOffset.UtcNow));
        var watch = fixture.App.Services.GetRequiredService<ArchiveBacklogWatch>();
        await Eventually.UntilAsync(async () =>
        {
            try { return (await watch.AssessAsync(ChatStreams.Messages, "history-messages", default)).Messages == 0; }
            catch (NatsJSApiException) { return false; } // the archive's consumer not created yet
        }, "the message archived", TimeSpan.FromSeconds(30));

        var messages = await watch.AssessAsync(ChatStreams.Messages, "history-messages", default);
        Assert.Equal(ChatStreams.MaxAge, messages.MaxAge);
        Assert.Equal(ChatStreams.MessagesMaxBytes, messages.MaxBytes);
        Assert.False(messages.Alarming, messages.Describe());
        var events = await watch.AssessAsync(ChatStreams.Events, "history-events", default);
        Assert.Equal(ChatStreams.EventsMaxBytes, events.MaxBytes);
        Assert.Equal(HealthStatus.Healthy, (await watch.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Messages_a_stream_discarded_before_the_archive_took_them_are_counted_and_alarm()
    {
        var js = fixture.Publisher.JetStream;
        await js.CreateOrUpdateStreamAsync(new StreamConfig("BACKLOG_TEST", ["backlog.test.>"])
        {
            Storage = StreamConfigStorage.File, MaxMsgs = 5, MaxAge = TimeSpan.FromHours(1), MaxBytes = 1 << 20, Discard = StreamConfigDiscard.Old,
        });
        await js.CreateOrUpdateConsumerAsync("BACKLOG_TEST", new ConsumerConfig("slow-archive") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        for (int i = 1; i <= 12; i++) (await js.PublishAsync($"backlog.test.{i}", new byte[100])).EnsureSuccess();

        var watch = fixture.App.Services.GetRequiredService<ArchiveBacklogWatch>();
        var backlog = await watch.AssessAsync("BACKLOG_TEST", "slow-archive", default);
        Assert.Equal(5UL, backlog.Messages);
        Assert.Equal(7UL, backlog.Dropped);
        Assert.True(backlog.Alarming);
        Assert.Contains("7 discarded by the stream before they were archived", backlog.Describe());
        Assert.InRange(backlog.Bytes, 500, 1 << 20);
        Assert.True(backlog.OldestAge < TimeSpan.FromMinutes(1), $"oldest {backlog.OldestAge}");
    }

    [Theory]
    [InlineData(0, 0.0, 0.0, false)]
    [InlineData(0, 0.49, 0.49, false)]
    [InlineData(0, 0.5, 0.0, true)]
    [InlineData(0, 0.0, 0.5, true)]
    [InlineData(1, 0.0, 0.0, true)]
    public void A_backlog_alarms_at_half_of_either_limit_or_once_anything_was_dropped(ulong dropped, double bytesShare, double ageShare, bool alarming)
    {
        var backlog = new ArchiveBacklog("S", "c", 10, TimeSpan.FromDays(30 * ageShare), (long)(1000 * bytesShare), 1000, TimeSpan.FromDays(30), dropped);
        Assert.Equal(alarming, backlog.Alarming);
    }
}
