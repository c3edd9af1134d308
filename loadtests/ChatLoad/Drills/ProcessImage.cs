using System.Diagnostics;

namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// A running process as /proc shows it (command line, environment, working directory, its ancestors), read before
/// a drill kills it, so that it can be started again exactly the same way afterwards: the "supervisor" of a local
/// run, since DCP does not restart what exits (docs/loadtests.md, Drills).
/// </summary>
public sealed record ProcessImage(int Pid, string[] Args, IReadOnlyDictionary<string, string> Environment, string Cwd, IReadOnlyList<ProcessImage.Ancestor> Ancestors)
{
    public sealed record Ancestor(int Pid, string[] Args);

    public string Executable => Args.Length > 0 ? Path.GetFileName(Args[0]) : "?";

    /// <summary>Reads a process from /proc; null once it is gone (or was never readable).</summary>
    public static ProcessImage? Read(int pid)
    {
        try
        {
            var args = ReadArgs(pid);
            if (args.Length == 0) return null;
            var environment = new Dictionary<string, string>();
            foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
                if (entry.IndexOf('=') is var eq and > 0) environment[entry[..eq]] = entry[(eq + 1)..];
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(false)?.FullName ?? "/";
            var ancestors = new List<Ancestor>();
            for (int parent = ParentOf(pid); parent > 1 && ancestors.Count < 16; parent = ParentOf(parent))
                ancestors.Add(new Ancestor(parent, ReadArgs(parent)));
            return new ProcessImage(pid, args, environment, cwd, ancestors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    /// <summary>Every process for which <paramref name="match"/> holds, read from /proc.</summary>
    public static IReadOnlyList<ProcessImage> Find(Func<int, string[], string, bool> match)
    {
        var found = new List<ProcessImage>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == System.Environment.ProcessId) continue;
            try
            {
                var args = ReadArgs(pid);
                if (args.Length == 0) continue;
                var cwd = new DirectoryInfo($"{dir}/cwd").ResolveLinkTarget(false)?.FullName ?? "";
                if (match(pid, args, cwd) && Read(pid) is { } image) found.Add(image);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string[] ReadArgs(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    /// <summary>Alive, and not a zombie waiting for its parent to reap it.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (IOException) { return false; }
    }

    /// <summary>kill -9, as a crash would; waits (up to 5 s) until the process is gone.</summary>
    public async Task KillHardAsync(TimeProvider time, CancellationToken ct)
    {
        try { using var p = Process.GetProcessById(Pid); p.Kill(); }   // SIGKILL on Linux
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        for (var until = time.GetTimestamp() + 5 * time.TimestampFrequency; IsAlive(Pid) && time.GetTimestamp() < until;)
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, ct);
    }

    /// <summary>
    /// Starts the process again: same command line, environment and working directory, in a session of its own
    /// (a Ctrl-C of the load tool does not reach it), output appended to <paramref name="logFile"/> (a pipe to this
    /// tool would break when the tool exits). When an orchestrator (DCP) started the original, <c>dcp
    /// monitor-process</c> ties the new process to it as DCP does its own children: it ends with the platform.
    /// Returns the new process id.
    /// </summary>
    public int Relaunch(string logFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var info = new ProcessStartInfo("setsid") { WorkingDirectory = Cwd, UseShellExecute = false };
        foreach (var a in (string[])["sh", "-c", "exec \"$@\" >>\"$0\" 2>&1 </dev/null", logFile, .. Args]) info.ArgumentList.Add(a);
        if (Environment.Count > 0)
        {
            info.Environment.Clear();
            foreach (var (k, v) in Environment) info.Environment[k] = v;
        }
        using var started = Process.Start(info) ?? throw new InvalidOperationException($"could not start {string.Join(' ', Args)}");
        int pid = started.Id;
        if (Orchestrator() is { } dcp)
        {
            var monitor = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = false };
            foreach (var a in (string[])["sh", "-c", "exec \"$@\" >/dev/null 2>&1 </dev/null", "-", dcp.Args[0], "monitor-process",
                         "--child", pid.ToString(), "--monitor", dcp.Pid.ToString()]) monitor.ArgumentList.Add(a);
            using var _ = Process.Start(monitor);
        }
        return pid;
    }

    /// <summary>The DCP controller among the ancestors (the process that ran this one for the AppHost), if any.</summary>
    public Ancestor? Orchestrator() =>
        Ancestors.FirstOrDefault(a => a.Args.Length > 1 && Path.GetFileName(a.Args[0]) == "dcp" && a.Args[1] == "run-controllers");
}
