namespace CustomerService.LiveConfig;

/// <summary>Options of the watcher (configuration section "LiveConfig"; sections come from AddLiveConfig).</summary>
public sealed class LiveConfigOptions
{
    public const string ConfigurationSection = "LiveConfig";

    /// <summary>The sections to watch: names from <see cref="ConfigSections"/>.</summary>
    public HashSet<string> Sections { get; } = new(StringComparer.Ordinal);

    /// <summary>Who is watching, for Admin's logs; defaults to application@host:pid.</summary>
    public string? Subscriber { get; set; }

    /// <summary>First wait before reconnecting; doubles per failed attempt up to <see cref="MaxReconnectDelay"/>, half of each wait random.</summary>
    public TimeSpan InitialReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);
}
