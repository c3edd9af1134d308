using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Admin.Tests;

/// <summary>Reads what the service answers: tokens checked the way the gateway checks them, and problem documents.</summary>
internal static class Tokens
{
    public static async Task<JsonWebToken> ValidateAsync(string token, byte[] signingKey, TimeProvider time)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = PlatformClaims.Issuer,
            ValidAudience = PlatformClaims.Audience,
            IssuerSigningKey = new SymmetricSecurityKey(signingKey),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.Zero,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
