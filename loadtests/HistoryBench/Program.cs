using CustomerService.HistoryBench;

// dotnet run -c Release --project loadtests/HistoryBench -- archive [--messages 300000] [--rate 30000]
// dotnet run -c Release --project loadtests/HistoryBench -- queries [--rows 10000000] [--data /tmp/history-bench]
var command = args.FirstOrDefault() ?? "";
var options = Arguments.Parse(args.Skip(1));
return command switch
{
    "archive" => await ArchiveBench.RunAsync(options),
    "queries" => await QueryBench.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: HistoryBench archive [--messages N] [--rate R] | queries [--rows N] [--data DIR]");
    return 2;
}
