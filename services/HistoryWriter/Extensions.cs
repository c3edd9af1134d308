namespace CustomerService.HistoryWriter;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
    }
}
