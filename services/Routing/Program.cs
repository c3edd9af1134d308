using CustomerService.Routing;
using CustomerService.Routing.Desk;
using CustomerService.Routing.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapGrpcService<RoutingService>();
app.MapDeskApi();
app.MapDefaultEndpoints();

app.Run();
