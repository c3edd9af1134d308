using System.Net.Http.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;
using Xunit;

namespace CustomerService.Webhooks.Tests;

/// <summary>
/// The built Webhooks adapter started alone as a process, outside any AppHost, given only NATS and its webhookdb
/// (environment variables, as a deployment sets them): it migrates, serves its API, and delivers an event.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class StandaloneTests(WebhookFixture fixture)
{
    [Fact]
    public async Task The_adapter_starts_alone_registers_a_webhook_and_delivers_an_event()
    {
        await using var nats = await NatsServer.StartAsync(); // its own, so it takes no other test's events
        await using var receiver = await Receiver.StartAsync();
        var database = await fixture.CreateDatabaseAsync("webhookdb_alone_" + Guid.NewGuid().ToString("N")[..8]);
        await using var service = ServiceProcess.Start("adapters/Webhooks", new Dictionary<string, string>
        {
            ["ConnectionStrings__nats"] = nats.Url,
            ["ConnectionStrings__webhookdb"] = database,
            // The receiver is on loopback: opened for it alone, as a local run would (production leaves it shut).
            ["Webhooks__AllowedNetworks__0"] = "127.0.0.1/32",
        });
        await service.WaitHealthyAsync();

        using var api = TestIdentity.Client(service.BaseAddress);
        api.DefaultRequestHeaders.Add(IdentityHeaders.Tenant, "alone");
        api.DefaultRequestHeaders.Add(IdentityHeaders.User, "admin-1");
        api.DefaultRequestHeaders.Add(IdentityHeaders.Role, Roles.Admin);
        await WebhookFixture.RegisterAsync(api, receiver.Url("alone"), "conversation_created");

        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var started = WebhookFixture.Event("alone", "c-alone-1", ConversationState.New, e => e.Started = new ConversationStarted());
        var ack = await client.CreateJetStreamContext().PublishAsync(Subjects.ConversationEvent("alone", "c-alone-1", "started"), started.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = started.EventId });
        ack.EnsureSuccess();

        await Eventually.UntilAsync(() => receiver.At("alone").Any(r => r.Event == "conversation_created"), "a delivery", TimeSpan.FromSeconds(30),
            context: () => $"the service said:\n{service.Output}");
    }
}
