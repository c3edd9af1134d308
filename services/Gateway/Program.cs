using CustomerService.Gateway;
using CustomerService.Gateway.Blocklist;
using CustomerService.Gateway.Limits;
using CustomerService.Gateway.Proxy;
using CustomerService.Gateway.RateLimiting;
using CustomerService.Gateway.Tenants;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseBlocklist();             // blocked addresses: 403 before anything else
app.UseExceptionHandler();
app.UseSocketCapacity();        // at capacity a new WebSocket gets 503 + Retry-After; the held ones keep going
app.UseSocketsPerAddress();     // past the address's socket cap: 429 + Retry-After, before the token is read
app.UseRouting();
app.UseAuthentication();
app.UseVisitorTokenLimits();    // visitor sign-ins per address and per site key: 429 before Admin signs anything
app.UseTenantPolicy();          // the tenant's live gateway section: suspended (403), socket and sign-in origins (403)
app.UseSocketsPerTenant();      // past the tenant's socket cap: 429 + Retry-After
app.UseRateLimiter();           // per IP, and per token subject once the token is read
app.UseAuthorization();         // 401/403 problem documents (Auth/AccessProblems)
app.UseWebSocketFrameLimit();

app.MapDefaultEndpoints();
app.MapBlocklistApi();
app.MapReverseProxy(ProxyErrors.Pipeline);

app.Run();
