namespace CustomerService.Bot.Bench;

/// <summary>Command line: --rate MSG_PER_S --seconds S --warmup S --conversations N --faq-entries N</summary>
internal sealed record BenchOptions(int Rate, int Seconds, int WarmupSeconds, int Conversations, int FaqEntries)
{
    public static BenchOptions Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        }
        var options = new BenchOptions(Get("rate", 1000), Get("seconds", 10), Get("warmup", 3), Get("conversations", 1000), Get("faq-entries", 200));
        if (options.Rate < 1 || options.Seconds < 1 || options.WarmupSeconds < 0 || options.Conversations < 1 || options.FaqEntries < 10)
            throw new ArgumentException("rate, seconds and conversations must be positive, warmup not negative, faq-entries at least 10");
        return options;
    }
}
