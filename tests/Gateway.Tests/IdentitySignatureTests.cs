using System.Net;
using CustomerService.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.Gateway.Tests;

/// <summary>The signed identity's wire format (services/Contracts/IdentitySignature.cs), with an outside vector.</summary>
public sealed class IdentitySignatureTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(1767225600);
    private static readonly IdentityHeaderValues Agent = new("demo", "agent-42", Roles.Agent, "Zo%C3%AB%20%E5%BC%A0", "general,vip", "3");

    [Fact]
    public void The_canonical_text_is_the_version_the_timestamp_and_the_six_headers_one_per_line()
    {
        Assert.Equal("cs-identity-v1\n1767225600\ndemo\nagent-42\nagent\nZo%C3%AB%20%E5%BC%A0\ngeneral,vip\n3",
            IdentitySignature.Canonical(1767225600, Agent));
        Assert.Equal("cs-identity-v1\n7\n\nv-1\nvisitor\n\n\n", IdentitySignature.Canonical(7, new(null, "v-1", Roles.Visitor, "", null, null)));
    }

    [Fact]
    public void The_signature_is_the_base64url_HMAC_SHA256_of_the_canonical_text_as_openssl_computes_it()
    {
        // printf 'cs-identity-v1\n1767225600\ndemo\nagent-42\nagent\nZo%%C3%%AB%%20%%E5%%BC%%A0\ngeneral,vip\n3' |
        //   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1e1f -binary | base64 | tr '+/' '-_' | tr -d '='
        Assert.Equal("t=1767225600,v1=6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignature.Sign(Key, Agent, At));
    }

    [Fact]
    public void A_signature_verifies_for_the_same_identity_within_a_minute_either_way()
    {
        var signature = IdentitySignature.Sign(Key, Agent, At);

        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, signature, Agent, At));
        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, signature, Agent, At.AddSeconds(60)));
        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, signature, Agent, At.AddSeconds(-60)));
        Assert.Equal(IdentitySignatureCheck.Expired, IdentitySignature.Verify(Key, signature, Agent, At.AddSeconds(61)));
        Assert.Equal(IdentitySignatureCheck.Expired, IdentitySignature.Verify(Key, signature, Agent, At.AddSeconds(-61)));
        Assert.Equal(IdentitySignatureCheck.Expired, IdentitySignature.Verify(Key, signature, Agent, At.AddHours(8)));
    }

    public static TheoryData<string, IdentityHeaderValues> Altered => new()
    {
        { "tenant", Agent with { Tenant = "acme" } },
        { "user", Agent with { User = "agent-43" } },
        { "role", Agent with { Role = Roles.Admin } },
        { "name", Agent with { Name = "Mallory" } },
        { "skills", Agent with { SkillGroups = "general,vip,refunds" } },
        { "skills dropped", Agent with { SkillGroups = null } },
        { "token version", Agent with { TokenVersion = "4" } },
        { "token version dropped", Agent with { TokenVersion = null } },
        // The same characters on other lines: the line structure is signed too.
        { "value moved across a line", Agent with { Tenant = "demoagent-42", User = "" } },
    };

    [Theory]
    [MemberData(nameof(Altered))]
    public void Any_changed_header_breaks_the_signature(string what, IdentityHeaderValues altered)
    {
        var signature = IdentitySignature.Sign(Key, Agent, At);

        Assert.True(IdentitySignatureCheck.Mismatch == IdentitySignature.Verify(Key, signature, altered, At), what);
    }

    [Fact]
    public void A_signature_made_with_another_key_or_at_another_time_does_not_verify()
    {
        var otherKey = Key.Select(b => (byte)(b ^ 0x5a)).ToArray();
        var signature = IdentitySignature.Sign(otherKey, Agent, At);
        var movedTimestamp = IdentitySignature.Sign(Key, Agent, At).Replace("t=1767225600", "t=1767225660");

        Assert.Equal(IdentitySignatureCheck.Mismatch, IdentitySignature.Verify(Key, signature, Agent, At));
        Assert.Equal(IdentitySignatureCheck.Mismatch, IdentitySignature.Verify(Key, movedTimestamp, Agent, At));
    }

    [Theory]
    [InlineData(null, IdentitySignatureCheck.Missing)]
    [InlineData("", IdentitySignatureCheck.Missing)]
    [InlineData("6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignatureCheck.Malformed)]
    [InlineData("v1=6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA,t=1767225600", IdentitySignatureCheck.Malformed)]
    [InlineData("t=-1767225600,v1=6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignatureCheck.Malformed)]
    [InlineData("t=1767225600,v1=", IdentitySignatureCheck.Malformed)]
    [InlineData("t=1767225600,v1=6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3s", IdentitySignatureCheck.Malformed)]
    [InlineData("t=1767225600,v1=6Lpr7K82fIAl6+6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignatureCheck.Malformed)]
    [InlineData("t=1767225600,v1=6Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignatureCheck.Valid)]
    [InlineData("t=1767225600,v1=7Lpr7K82fIAl6-6SOc3Oy2LmGFFRpQBWZXjtb6bn3sA", IdentitySignatureCheck.Mismatch)]
    public void Only_t_then_v1_with_a_full_MAC_is_read(string? signature, IdentitySignatureCheck expected)
    {
        Assert.Equal(expected, IdentitySignature.Verify(Key, signature, Agent, At));
    }

    [Fact]
    public void A_value_with_a_line_break_cannot_be_signed()
    {
        Assert.Throws<ArgumentException>(() => IdentitySignature.Sign(Key, Agent with { Tenant = "demo\nadmin" }, At));
        Assert.Equal(IdentitySignatureCheck.Malformed,
            IdentitySignature.Verify(Key, IdentitySignature.Sign(Key, Agent, At), Agent with { Role = "agent\r" }, At));
    }

    [Fact]
    public void Long_values_are_signed_like_short_ones()
    {
        var long_ = Agent with { SkillGroups = string.Join(',', Enumerable.Range(0, 400).Select(i => $"group-{i}")) };
        var signature = IdentitySignature.Sign(Key, long_, At);

        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, signature, long_, At));
        Assert.Equal(IdentitySignatureCheck.Mismatch, IdentitySignature.Verify(Key, signature, long_ with { SkillGroups = long_.SkillGroups + "x" }, At));
    }

    [Fact]
    public async Task The_signing_handler_signs_each_request_as_it_leaves_and_only_requests_with_identity()
    {
        var time = new FakeTimeProvider(At);
        var seen = new List<HttpRequestMessage>();
        using var client = new HttpClient(new IdentitySigningHandler(Key, time, new Capture(seen))) { BaseAddress = new Uri("http://service") };
        client.DefaultRequestHeaders.Add(IdentityHeaders.Tenant, "demo");
        client.DefaultRequestHeaders.Add(IdentityHeaders.User, "agent-42");
        client.DefaultRequestHeaders.Add(IdentityHeaders.Role, Roles.Agent);
        var identity = new IdentityHeaderValues("demo", "agent-42", Roles.Agent, null, null, null);

        await client.GetAsync("/first");
        time.Advance(TimeSpan.FromMinutes(5));
        await client.GetAsync("/later");
        using var anonymous = new HttpClient(new IdentitySigningHandler(Key, time, new Capture(seen)));
        using var forged = new HttpRequestMessage(HttpMethod.Get, "http://service/health");
        forged.Headers.Add(IdentitySignature.Header, "t=1,v1=forged");
        await anonymous.SendAsync(forged);

        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, Signature(seen[0]), identity, At));
        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(Key, Signature(seen[1]), identity, At.AddMinutes(5)));
        Assert.Null(Signature(seen[2]));
    }

    [Fact]
    public async Task The_signing_handler_refuses_an_identity_header_with_two_values()
    {
        using var client = new HttpClient(new IdentitySigningHandler(Key, TimeProvider.System, new Capture([])));
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://service/");
        request.Headers.Add(IdentityHeaders.Role, [Roles.Agent, Roles.Admin]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.SendAsync(request));
    }

    private static string? Signature(HttpRequestMessage request) =>
        request.Headers.TryGetValues(IdentitySignature.Header, out var values) ? values.Single() : null;

    private sealed class Capture(List<HttpRequestMessage> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
