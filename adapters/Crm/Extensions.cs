namespace CustomerService.Crm;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddRedisClient("redis");
    }
}
