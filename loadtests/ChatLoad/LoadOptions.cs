using System.Globalization;
using CustomerService.ChatLoad.Profiles;

namespace CustomerService.ChatLoad;

/// <summary>
/// Command line. A profile: <c>--profile NAME|FILE</c> (loadtests/profiles/NAME.json), whose population may be
/// overridden by <c>--customers N --agents M --arrivals A --window W</c>, and whose open phases' rates
/// <c>--rate-scale F</c> multiplies. Without a profile, one phase from flags: <c>--rate R</c> (open model, R messages
/// per second) or else a closed model (<c>--window W --think-ms T</c>), for <c>--seconds S</c>.
/// Always: <c>--threshold "METRIC&lt;VALUE"</c> (repeatable, added to the profile's), <c>--gateway URL --key FILE
/// --tenant ID --report DIR --no-archive-audit</c>. <c>--workers N</c> (or the profile's <c>workers</c>) plays the run
/// from N worker processes of the tool, this one coordinating (Workers/); a worker is started with <c>--worker I
/// --run-id ID --worker-dir DIR --epoch TIMESTAMP</c> besides the coordinator's own arguments.
/// </summary>
public sealed record LoadOptions(Uri Gateway, LoadProfile Profile, IReadOnlyList<Threshold> Thresholds, string SigningKeyFile, string Tenant,
    double RateScale, bool AuditArchive, string RepoRoot, string ReportDirectory)
{
    /// <summary>Set in a worker process: its place in the run (null in a coordinator and in a run of one process).</summary>
    public Workers.WorkerSlice? Worker { get; init; }

    /// <summary>The arguments the tool was given (a coordinator hands them on to its workers).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public static LoadOptions Parse(string[] args) => Parse(args, FindRepoRoot(Directory.GetCurrentDirectory()));

    public static LoadOptions Parse(string[] args, string repoRoot)
    {
        var known = new HashSet<string>(["gateway", "profile", "customers", "agents", "seconds", "think-ms", "key", "tenant", "window", "arrivals",
            "rate", "rate-scale", "threshold", "report", "no-archive-audit", "workers", "worker", "run-id", "worker-dir", "epoch"]);
        var values = new Dictionary<string, string>();
        var thresholds = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || !known.Contains(args[i][2..]))
                throw new ArgumentException($"unknown argument '{args[i]}' (options: {string.Join(" ", known.Select(k => "--" + k))})");
            var name = args[i][2..];
            if (name == "no-archive-audit") { values[name] = "true"; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"--{name} needs a value");
            if (name == "threshold") thresholds.Add(args[++i]);
            else values[name] = args[++i];
        }
        string? Get(string name) => values.TryGetValue(name, out var v) ? v : null;
        int? Int(string name) => Get(name) is { } v ? int.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"--{name}: '{v}' is not a whole number") : null;
        double? Real(string name) => Get(name) is { } v ? double.TryParse(v, CultureInfo.InvariantCulture, out var d) ? d : throw new ArgumentException($"--{name}: '{v}' is not a number") : null;

        LoadProfile profile;
        if (Get("profile") is { } nameOrPath)
        {
            if (Get("seconds") is not null || Get("rate") is not null || Get("think-ms") is not null)
                throw new ArgumentException("--seconds, --rate and --think-ms describe a phase: with --profile, change the profile's phases instead");
            profile = LoadProfile.Load(nameOrPath, repoRoot);
        }
        else profile = FromFlags(Int("customers") ?? 200, Real("seconds") ?? 30, Real("rate"), Int("think-ms") ?? 0);
        profile = profile with
        {
            Customers = Int("customers") ?? profile.Customers,
            Agents = Int("agents") ?? profile.Agents,
            ArrivalsPerSecond = Real("arrivals") ?? profile.ArrivalsPerSecond,
            Window = Int("window") ?? profile.Window,
            Workers = Int("workers") ?? profile.Workers,
            Thresholds = [.. profile.Thresholds, .. thresholds],
        };
        // A drill the platform did not recover from fails the run, whether or not the profile says so.
        if (profile.Drills.Count > 0 && !profile.Thresholds.Any(t => t.StartsWith("drills_failed", StringComparison.Ordinal)))
            profile = profile with { Thresholds = [.. profile.Thresholds, "drills_failed<1"] };
        var errors = profile.Validate();
        if (errors.Count > 0) throw new ProfileException($"profile '{profile.Name}': {string.Join("; ", errors)}");
        var phases = profile.Phases.Select(p => p.Name).ToHashSet();
        var rateScale = Real("rate-scale") ?? 1;
        if (!(rateScale > 0)) throw new ArgumentException("--rate-scale must be positive");
        Workers.WorkerSlice? worker = null;
        if (Int("worker") is { } index)
        {
            if (index < 0 || index >= profile.Workers) throw new ArgumentException($"--worker {index}: a worker of {profile.Workers} is 0 to {profile.Workers - 1}");
            if (Get("run-id") is not { } runId || Get("worker-dir") is not { } folder || Get("tenant") is null || Get("epoch") is not { } epoch
                || !long.TryParse(epoch, CultureInfo.InvariantCulture, out var epochTicks))
                throw new ArgumentException("--worker is started by a coordinator (--workers N), with --run-id, --worker-dir, --tenant and --epoch");
            worker = new Workers.WorkerSlice(index, profile.Workers, runId, folder, epochTicks);
        }
        else if (Get("run-id") is not null || Get("worker-dir") is not null || Get("epoch") is not null)
            throw new ArgumentException("--run-id, --worker-dir and --epoch are a worker's (--worker I), given by its coordinator");

        return new LoadOptions(
            new Uri(Get("gateway") ?? "http://localhost:8080"),
            profile,
            profile.Thresholds.Select(t => Threshold.Parse(t, phases)).ToList(),
            Get("key") ?? Path.Combine(repoRoot, ".data", "jwt-signing.key"),
            // A tenant of its own per run: nothing an earlier (perhaps aborted) run left queued or assigned interferes.
            Get("tenant") ?? "load-" + Guid.NewGuid().ToString("N")[..8],
            rateScale,
            Get("no-archive-audit") is null,
            repoRoot,
            Get("report") ?? Path.Combine(repoRoot, "TestResults", "load")) { Worker = worker, Arguments = args };
    }

    /// <summary>The one-phase profile the flags describe (the tool's command line before profiles existed).</summary>
    private static LoadProfile FromFlags(int customers, double seconds, double? rate, int thinkMs) => new()
    {
        Name = "flags",
        Description = "one phase from the command line",
        Customers = customers,
        Agents = 40,
        Window = 4,
        Phases =
        [
            rate is { } r
                ? new Phase { Name = "inject", Model = LoadModel.Inject, Rate = r, Seconds = seconds }
                : new Phase { Name = "closed", Model = LoadModel.KeepConstant, Customers = customers, ThinkMs = thinkMs, Seconds = seconds },
        ],
    };

    /// <summary>The checkout <paramref name="from"/> is in (the folder holding CustomerService.sln), else <paramref name="from"/>.</summary>
    public static string FindRepoRoot(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CustomerService.sln"))) return dir.FullName;
        return from;
    }
}
