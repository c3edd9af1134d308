using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerService.ChatLoad.Drills;
using CustomerService.ChatLoad.Scenarios;

namespace CustomerService.ChatLoad.Profiles;

/// <summary>
/// A load profile (loadtests/profiles/*.json): the population (customers arriving at a rate, agents online), then
/// phases chained in time, each an open model (messages injected at a rate, whatever the platform answers) or a
/// closed one (a number of customers each keeping a window of messages in flight), and thresholds that decide the
/// run's exit code. Read with <see cref="Load"/>, which names every invalid field.
/// </summary>
public sealed record LoadProfile
{
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    /// <summary>Customers connected before the first phase (each opens one conversation and is assigned an agent).</summary>
    public int Customers { get; init; }
    public int Agents { get; init; }
    /// <summary>Customers arriving per second before the first phase; 0: all at once (a burst).</summary>
    public double ArrivalsPerSecond { get; init; }
    /// <summary>Most messages a customer has in flight (sent, not yet acked): the open model's cap per socket too.</summary>
    public int Window { get; init; } = 4;
    /// <summary>Seed of the random-inject phases, so a run can be replayed.</summary>
    public int Seed { get; init; } = 1;
    public IReadOnlyList<Phase> Phases { get; init; } = [];
    public IReadOnlyList<string> Thresholds { get; init; } = [];
    /// <summary>Faults played during the phases (kill -9 a service, restart NATS or Redis, the CRM slow or down): Drills/.</summary>
    public IReadOnlyList<Drill> Drills { get; init; } = [];
    /// <summary>The journeys mixed in the run, with weights (Scenarios/); none: every customer chats, as before mixes.</summary>
    public IReadOnlyList<ScenarioEntry> Scenarios { get; init; } = [];
    /// <summary>
    /// Processes the run is played from (Workers/): 1, this process alone; more, this process coordinates that many
    /// worker processes of the tool, each holding its share of the customers and agents.
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>The most worker processes a run may have.</summary>
    public const int MaxWorkers = 64;

    [JsonIgnore]
    public TimeSpan Duration => TimeSpan.FromSeconds(Phases.Sum(p => p.Seconds));

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters =
        {
            new JsonStringEnumConverter<LoadModel>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false),
            new JsonStringEnumConverter<DrillKind>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false),
            new JsonStringEnumConverter<ScenarioKind>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false),
        },
    };

    /// <summary>A profile by name (loadtests/profiles/NAME.json) or by path.</summary>
    public static LoadProfile Load(string nameOrPath, string repoRoot)
    {
        var path = File.Exists(nameOrPath) ? nameOrPath : Path.Combine(repoRoot, "loadtests", "profiles", nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Directory.Exists(Path.GetDirectoryName(path))
                ? string.Join(", ", Directory.GetFiles(Path.GetDirectoryName(path)!, "*.json").Select(Path.GetFileNameWithoutExtension).Order())
                : "";
            throw new ProfileException($"no profile '{nameOrPath}' ({path} does not exist){(known.Length > 0 ? "; profiles: " + known : "")}");
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static LoadProfile Parse(string json, string source)
    {
        LoadProfile? profile;
        try { profile = JsonSerializer.Deserialize<LoadProfile>(json, Json); }
        catch (JsonException e)
        {
            throw new ProfileException($"{source}: {e.Message.Split(" Path:")[0]}{(e.Path is { } p ? $" (at {p})" : "")}");
        }
        if (profile is null) throw new ProfileException($"{source}: empty profile");
        var errors = profile.Validate();
        if (errors.Count > 0) throw new ProfileException($"{source}: " + string.Join("; ", errors));
        return profile;
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) errors.Add("name is required");
        if (Customers < 1) errors.Add("customers must be at least 1");
        if (Agents < 1) errors.Add("agents must be at least 1");
        if (ArrivalsPerSecond < 0 || double.IsNaN(ArrivalsPerSecond)) errors.Add("arrivalsPerSecond must not be negative");
        if (Window < 1) errors.Add("window must be at least 1");
        if (Phases.Count == 0) errors.Add("phases: at least one phase is needed");
        if (Workers < 1 || Workers > MaxWorkers) errors.Add($"workers must be between 1 and {MaxWorkers} (1: the run in this one process), not {Workers}");
        else if (Workers > 1 && Customers >= 1 && Workers > Customers)
            errors.Add($"workers ({Workers}) must not exceed customers ({Customers}): every worker process holds at least one customer");
        if (Workers > 1 && Scenarios.Any(s => s.Name == ScenarioKind.Transfer))
            errors.Add("workers: the transfer scenario is not built across worker processes (the customer's agent, which sends the transfer, may be in another one): play it with workers 1");
        var names = new HashSet<string>();
        for (int i = 0; i < Phases.Count; i++)
        {
            var phase = Phases[i];
            foreach (var error in phase.Validate(Customers)) errors.Add($"phases[{i}] ({phase.Name}): {error}");
            if (!string.IsNullOrEmpty(phase.Name) && !names.Add(phase.Name)) errors.Add($"phases[{i}]: the name '{phase.Name}' is used twice");
        }
        for (int i = 0; i < Drills.Count; i++)
            foreach (var error in Drills[i].Validate(Duration.TotalSeconds)) errors.Add($"drills[{i}] ({Drills[i].KindName}): {error}");
        for (int i = 0; i < Scenarios.Count; i++)
            foreach (var error in Scenarios[i].Validate(Duration.TotalSeconds)) errors.Add($"scenarios[{i}] ({Scenarios[i].KindName}): {error}");
        if (Customers >= 1 && Agents >= 1) errors.AddRange(ScenarioMix.Validate(Scenarios, Customers, Agents));
        foreach (var threshold in Thresholds)
        {
            try { Threshold.Parse(threshold, names); }
            catch (ProfileException e) { errors.Add($"thresholds: {e.Message}"); }
        }
        return errors;
    }
}

/// <summary>How a phase makes load. Open models inject messages at a rate; closed models keep customers busy.</summary>
public enum LoadModel
{
    /// <summary>A constant rate of messages per second (open model).</summary>
    Inject,
    /// <summary>A rate going linearly from <c>from</c> to <c>to</c> messages per second (open model).</summary>
    RampInject,
    /// <summary>A rate drawn uniformly between <c>min</c> and <c>max</c> every second (open model).</summary>
    RandomInject,
    /// <summary><c>customers</c> customers each keep their window full, waiting <c>thinkMs</c> between messages (closed model).</summary>
    KeepConstant,
    /// <summary>The number of busy customers goes linearly from <c>from</c> to <c>to</c> (closed model).</summary>
    RampConstant,
    /// <summary>Nothing sent; sockets stay open.</summary>
    Pause,
}

public sealed record Phase
{
    public string Name { get; init; } = "";
    public LoadModel Model { get; init; }
    public double Seconds { get; init; }
    public double? Rate { get; init; }
    public double? From { get; init; }
    public double? To { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public int? Customers { get; init; }
    public int ThinkMs { get; init; }

    [JsonIgnore]
    public bool IsOpen => Model is LoadModel.Inject or LoadModel.RampInject or LoadModel.RandomInject;

    /// <summary>The model as profiles write it (ramp-inject).</summary>
    [JsonIgnore]
    public string ModelName => JsonNamingPolicy.KebabCaseLower.ConvertName(Model.ToString());

    public IEnumerable<string> Validate(int population)
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return "name is required";
        else if (Name.IndexOfAny(['.', '<', '>', '=', ' ']) >= 0) yield return "name must not contain '.', '<', '>', '=' or spaces (thresholds name phases)";
        if (!(Seconds > 0)) yield return "seconds must be positive";
        if (ThinkMs < 0) yield return "thinkMs must not be negative";
        switch (Model)
        {
            case LoadModel.Inject:
                if (Rate is not > 0) yield return "inject needs a positive rate (messages per second)";
                break;
            case LoadModel.RampInject:
                if (From is not >= 0 || To is not >= 0) yield return "ramp-inject needs from and to (messages per second, not negative)";
                break;
            case LoadModel.RandomInject:
                if (Min is not >= 0 || Max is not > 0 || Min > Max) yield return "random-inject needs 0 <= min <= max and max > 0 (messages per second)";
                break;
            case LoadModel.KeepConstant:
                if (Customers is not > 0 || Customers > population) yield return $"keep-constant needs customers between 1 and the profile's {population}";
                break;
            case LoadModel.RampConstant:
                if (From is not >= 0 || To is not >= 0 || From > population || To > population)
                    yield return $"ramp-constant needs from and to between 0 and the profile's {population} customers";
                break;
        }
    }

    /// <summary>Messages per second wanted at <paramref name="t"/> seconds into an open phase.</summary>
    public double RateAt(double t, Random random, ref double randomRate, ref int randomSecond)
    {
        switch (Model)
        {
            case LoadModel.Inject: return Rate!.Value;
            case LoadModel.RampInject: return From!.Value + (To!.Value - From.Value) * Math.Clamp(t / Seconds, 0, 1);
            case LoadModel.RandomInject:
                var second = (int)t;
                if (second != randomSecond) { randomSecond = second; randomRate = Min!.Value + random.NextDouble() * (Max!.Value - Min.Value); }
                return randomRate;
            default: return 0;
        }
    }

    /// <summary>Customers busy at <paramref name="t"/> seconds into a closed phase.</summary>
    public int BusyCustomersAt(double t) => Model switch
    {
        LoadModel.KeepConstant => Customers!.Value,
        LoadModel.RampConstant => (int)Math.Round(From!.Value + (To!.Value - From.Value) * Math.Clamp(t / Seconds, 0, 1)),
        _ => 0,
    };
}

public sealed class ProfileException(string message) : Exception(message);
