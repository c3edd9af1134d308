namespace CustomerService.Admin;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddNpgsqlDataSource("admindb");
    }
}
