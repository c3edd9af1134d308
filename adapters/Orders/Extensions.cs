namespace CustomerService.Orders;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddNpgsqlDataSource("ticketdb");
    }
}
