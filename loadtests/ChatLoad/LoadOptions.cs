namespace CustomerService.ChatLoad;

/// <summary>
/// Command line: --gateway URL --customers N --agents M --seconds S --think-ms T --key FILE --tenant ID --window W
/// --arrivals A (customers arriving per second, spread evenly; 0: all at once, a burst) --no-archive-audit (skip reading
/// the transcripts back at the end)
/// </summary>
public sealed record LoadOptions(Uri Gateway, int Customers, int Agents, int Seconds, int ThinkMs, string SigningKeyFile, string Tenant, int Window,
    double Arrivals, bool AuditArchive, string RepoRoot)
{
    public static LoadOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var options = new LoadOptions(
            new Uri(Get("gateway", "http://localhost:8080")),
            int.Parse(Get("customers", "200")),
            int.Parse(Get("agents", "40")),
            int.Parse(Get("seconds", "30")),
            int.Parse(Get("think-ms", "0")),
            Get("key", Path.Combine(FindRepoRoot(), ".data", "jwt-signing.key")),
            // A tenant of its own per run: nothing an earlier (perhaps aborted) run left queued or assigned interferes.
            Get("tenant", "load-" + Guid.NewGuid().ToString("N")[..8]),
            int.Parse(Get("window", "4")),
            double.Parse(Get("arrivals", "0"), System.Globalization.CultureInfo.InvariantCulture),
            !args.Contains("--no-archive-audit"),
            FindRepoRoot());
        if (options.Customers < 1 || options.Agents < 1 || options.Seconds < 1 || options.Window < 1 || options.Arrivals < 0)
            throw new ArgumentException("customers, agents, seconds and window must be positive, arrivals not negative");
        return options;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CustomerService.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
