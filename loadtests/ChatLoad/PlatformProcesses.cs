using System.Runtime.InteropServices;

namespace CustomerService.ChatLoad;

/// <summary>
/// CPU time and memory of the platform's processes (Linux /proc): the AppHost of this checkout and everything it
/// started (services, local servers, the dashboard, DCP) or a drill started again, grouped by what each process is,
/// and of this load tool itself (a process killed by a drill takes its CPU time with it: its line shows the one started
/// again). Two samples around the measured window give each process's share of the CPU and its cost per message.
/// </summary>
public static class PlatformProcesses
{
    /// <param name="CpuSecondsByPid">Each process's CPU time: a window's share counts a process started within it from zero.</param>
    public sealed record Usage(string Name, long RssBytes, IReadOnlyDictionary<int, double> CpuSecondsByPid)
    {
        public int Processes => CpuSecondsByPid.Count;

        /// <summary>CPU time spent since <paramref name="before"/> by the processes of this group.</summary>
        public double CpuSecondsSince(Usage? before) =>
            CpuSecondsByPid.Sum(p => p.Value - (before?.CpuSecondsByPid.GetValueOrDefault(p.Key) ?? 0));
    }

    private static readonly double TicksPerSecond = sysconf(2 /* _SC_CLK_TCK */) is > 0 and var t ? t : 100;

    [DllImport("libc")]
    private static extern long sysconf(int name);

    public const string LoadTool = "(this load tool)";

    /// <summary>Usage by process name, now. Empty where /proc is absent or no AppHost of this checkout runs.</summary>
    /// <param name="workers">A coordinator's worker processes (Workers/): its children, but the load tool's, not the platform's.</param>
    public static IReadOnlyDictionary<string, Usage> Sample(string repoRoot, IReadOnlyCollection<int>? workers = null)
    {
        var all = ReadAll();
        var roots = all.Values.Where(p => p.Name == "AppHost" && p.Cwd.StartsWith(repoRoot, StringComparison.Ordinal)).Select(p => p.Pid).ToHashSet();
        // DCP, which starts the services and servers, detaches from the AppHost and names it with --monitor PID.
        foreach (var p in all.Values)
            if (Array.IndexOf(p.Args, "--monitor") is var i and >= 0 && i + 1 < p.Args.Length
                && int.TryParse(p.Args[i + 1], out var monitored) && roots.Contains(monitored)) roots.Add(p.Pid);
        // A drill's restart (kill-service, restart-nats/redis) starts the process again as this tool's child.
        foreach (var p in all.Values) if (p.ParentPid == Environment.ProcessId && workers?.Contains(p.Pid) != true) roots.Add(p.Pid);
        var platform = new HashSet<int>(roots);
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var p in all.Values)
                if (!platform.Contains(p.Pid) && platform.Contains(p.ParentPid)) grew = platform.Add(p.Pid) | grew;
        }
        var members = platform.Where(all.ContainsKey).Select(pid => (Group: all[pid].Name, Process: all[pid])).ToList();
        if (all.TryGetValue(Environment.ProcessId, out var self)) members.Add((LoadTool, self));
        foreach (var pid in workers ?? []) if (all.TryGetValue(pid, out var worker)) members.Add((LoadTool, worker));
        var usage = members.GroupBy(m => m.Group).ToDictionary(g => g.Key, g => new Usage(g.Key, g.Sum(m => m.Process.RssBytes),
            g.ToDictionary(m => m.Process.Pid, m => m.Process.CpuSeconds)));
        return usage;
    }

    private sealed record ProcessInfo(int Pid, int ParentPid, string Name, string Cwd, string[] Args, double CpuSeconds, long RssBytes);

    private static Dictionary<int, ProcessInfo> ReadAll()
    {
        var processes = new Dictionary<int, ProcessInfo>();
        if (!Directory.Exists("/proc")) return processes;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // stat: "pid (comm) state ppid ... utime(14) stime(15) ..."; comm may hold spaces, so split after ')'.
                var stat = File.ReadAllText($"{dir}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int parent = int.Parse(fields[1]);
                double cpu = (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
                long rss = 0;
                foreach (var line in File.ReadLines($"{dir}/status"))
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) { rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024; break; }
                var args = File.ReadAllText($"{dir}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
                string cwd = "";
                try { cwd = new DirectoryInfo($"{dir}/cwd").ResolveLinkTarget(false)?.FullName ?? ""; } catch (IOException) { } catch (UnauthorizedAccessException) { }
                processes[pid] = new ProcessInfo(pid, parent, NameOf(args), cwd, args, cpu, rss);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { }
        }
        return processes;
    }

    /// <summary>A .NET program by its assembly (Session, Gateway, Aspire.Dashboard …), a `dotnet run` launcher as such, others by executable.</summary>
    private static string NameOf(string[] args)
    {
        if (args.Length == 0) return "?";
        var exe = Path.GetFileName(args[0]);
        if (exe == "dotnet")
        {
            if (args.Length > 1 && args[1] == "run") return "(dotnet run launchers)";
            var dll = args.Skip(1).FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal));
            return dll is null ? "dotnet" : Path.GetFileNameWithoutExtension(dll);
        }
        return exe switch
        {
            "beam.smp" or "erl_child_setup" or "epmd" or "inet_gethost" or "rabbitmq-server" => "rabbitmq",
            "dcp" or "dcpctrl" or "dcpproc" => "dcp (orchestrator)",
            "bash" or "sh" or "runuser" => "(launch scripts)",
            _ => exe,
        };
    }
}
