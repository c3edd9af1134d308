namespace CustomerService.LiveConfig;

/// <summary>
/// Section <c>gateway</c>: what the edge enforces per tenant, live: a suspension switch, the web origins allowed to
/// open the widget's socket and sign visitors in (against cross-site WebSocket hijacking), rate limits that
/// replace the gateway's appsettings defaults for the tenant's tokens and visitor sign-ins, and a cap on the tenant's
/// sockets (docs/configuration.md).
/// </summary>
public sealed record GatewaySettings : IConfigSection<GatewaySettings>
{
    public const int MaxOrigins = 100;
    public const int MaxTokens = 1_000_000;

    public static string SectionName => ConfigSections.Gateway;
    public static GatewaySettings Empty { get; } = new();

    /// <summary>Every request with a token of the tenant, and its sign-ins, get 403 with <see cref="SuspendedReason"/>.</summary>
    public bool Suspended { get; set; }
    /// <summary>Told to the tenant's users when suspended; a generic sentence when left out.</summary>
    public string? SuspendedReason { get; set; }
    /// <summary>
    /// Origins (<c>https://shop.example.com</c>, <c>https://*.example.com</c>, <c>http://localhost:3000</c>) whose pages
    /// may open a visitor socket and sign visitors in. Empty: any.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];
    public GatewayRateLimits RateLimits { get; set; } = new();
    /// <summary>
    /// WebSockets the tenant's tokens hold at once through one gateway process; past it a new one gets 429. Null: the
    /// gateway's Limits:MaxSocketsPerTenant.
    /// </summary>
    public int? MaxSockets { get; set; }

    public void Validate(ValidationErrors errors)
    {
        errors.Optional("suspended_reason", SuspendedReason, 500);
        errors.MaxCount("allowed_origins", AllowedOrigins, MaxOrigins);
        for (var i = 0; i < AllowedOrigins.Count; i++)
            if (!WebOrigin.TryParsePattern(AllowedOrigins[i], out _, out var why))
                errors.Add($"allowed_origins[{i}]", why);
        RateLimits.PerSubject?.Validate("rate_limits.per_subject", errors);
        RateLimits.PerTenant?.Validate("rate_limits.per_tenant", errors);
        RateLimits.VisitorTokens?.Validate("rate_limits.visitor_tokens", errors);
        if (MaxSockets is { } sockets) errors.Range("max_sockets", sockets, 1, MaxTokens);
    }
}

public sealed record GatewayRateLimits
{
    /// <summary>Per token subject of the tenant (one agent, one visitor); null: the gateway's RateLimits:PerSubject.</summary>
    public TokenBucketLimit? PerSubject { get; set; }
    /// <summary>Every request of the tenant's tokens together; null: no tenant-wide limit.</summary>
    public TokenBucketLimit? PerTenant { get; set; }
    /// <summary>Visitor tokens issued for the tenant's site key (POST /api/auth/visitor); null: the gateway's RateLimits:VisitorTokens:PerSiteKey.</summary>
    public TokenBucketLimit? VisitorTokens { get; set; }
}

/// <summary>A burst of <see cref="TokenLimit"/> requests, refilled by <see cref="TokensPerPeriod"/> every <see cref="PeriodSeconds"/>.</summary>
public sealed record TokenBucketLimit
{
    public int TokenLimit { get; set; }
    public int TokensPerPeriod { get; set; }
    public double PeriodSeconds { get; set; } = 1;

    internal void Validate(string path, ValidationErrors errors)
    {
        errors.Range($"{path}.token_limit", TokenLimit, 1, GatewaySettings.MaxTokens);
        errors.Range($"{path}.tokens_per_period", TokensPerPeriod, 1, GatewaySettings.MaxTokens);
        errors.Range($"{path}.period_seconds", PeriodSeconds, 0.01, 3600);
    }
}

/// <summary>A web origin (scheme, host, port) as browsers send it in <c>Origin</c>, or a pattern with a <c>*.</c> subdomain wildcard.</summary>
public readonly record struct WebOrigin(string Scheme, string Host, int Port, bool AnySubdomain)
{
    /// <summary>Parses an allow-list entry: http or https, a host, an optional port; no path, query, fragment or user.</summary>
    public static bool TryParsePattern(string? text, out WebOrigin origin, out string error)
    {
        origin = default;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "is required."; return false; }
        if (text.Length > 300) { error = "must be at most 300 characters."; return false; }
        var wildcard = false;
        var candidate = text.Trim();
        var marker = candidate.IndexOf("://*.", StringComparison.Ordinal);
        if (marker > 0)
        {
            wildcard = true;
            candidate = candidate.Remove(marker + 3, 2);
        }
        if (candidate.Contains('*')) { error = $"'{text}': a wildcard is allowed only as the first label (https://*.example.com)."; return false; }
        if (!TryParse(candidate, out origin)) { error = $"'{text}' is not an origin: scheme://host[:port] with http or https, no path."; return false; }
        if (wildcard && origin.Host.Split('.').Length < 2) { error = $"'{text}': a wildcard needs a domain of at least two labels (https://*.example.com)."; return false; }
        origin = origin with { AnySubdomain = wildcard };
        return true;
    }

    /// <summary>Parses an <c>Origin</c> header value (or an allow-list entry without wildcard).</summary>
    public static bool TryParse(string? text, out WebOrigin origin)
    {
        origin = default;
        if (string.IsNullOrEmpty(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) return false;
        if (string.IsNullOrEmpty(uri.Host) || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || uri.AbsolutePath != "/") return false;
        origin = new WebOrigin(uri.Scheme, uri.IdnHost.ToLowerInvariant(), uri.Port, false);
        return true;
    }

    /// <summary>Whether <paramref name="origin"/> (from a request) is this origin, or a subdomain of it for a wildcard.</summary>
    public bool Matches(WebOrigin origin) =>
        Scheme == origin.Scheme && Port == origin.Port
        && (AnySubdomain
            ? origin.Host.Length > Host.Length + 1 && origin.Host.EndsWith(Host, StringComparison.Ordinal) && origin.Host[^(Host.Length + 1)] == '.'
            : origin.Host == Host);
}
