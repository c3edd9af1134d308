namespace CustomerService.GatewayBench;

/// <summary>Command line: --concurrency 1,8 --seconds 3 --rounds 3 --warmup 3</summary>
public sealed record BenchOptions(int[] Concurrency, TimeSpan RoundLength, int Rounds, TimeSpan Warmup)
{
    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions([1, 8], TimeSpan.FromSeconds(3), 3, TimeSpan.FromSeconds(3));
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--concurrency" => options with { Concurrency = value.Split(',').Select(int.Parse).ToArray() },
                "--seconds" => options with { RoundLength = TimeSpan.FromSeconds(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
                "--rounds" => options with { Rounds = int.Parse(value) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"unknown option {args[i]} (use --concurrency 1,8 --seconds 3 --rounds 3 --warmup 3)"),
            };
        }
        return options;
    }
}
