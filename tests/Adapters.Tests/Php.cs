using System.Diagnostics;

namespace CustomerService.Adapters.Tests;

/// <summary>php-cli (Debian's php-cli, installed by eng/install-prereqs.sh) for oracle scripts.</summary>
internal static class Php
{
    public static string Executable => File.Exists("/usr/bin/php") ? "/usr/bin/php" : "php";

    public static string Script(string relativePath) =>
        Path.Combine(CustomerService.TestInfrastructure.LocalServer.RepoRoot, relativePath);

    /// <summary>Runs a PHP script and returns what it printed; fails the test on a non-zero exit.</summary>
    public static string Run(string script, params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var php = Process.Start(info)!;
        var stderr = php.StandardError.ReadToEndAsync();
        string output = php.StandardOutput.ReadToEnd();
        php.WaitForExit();
        if (php.ExitCode != 0) throw new InvalidOperationException($"php {script} exited with {php.ExitCode}: {stderr.Result}");
        return output;
    }
}
