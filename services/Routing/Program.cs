using CustomerService.Routing;
using CustomerService.Routing.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapGrpcService<RoutingService>();
app.MapDefaultEndpoints();

app.Run();
