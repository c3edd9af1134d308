using CustomerService.Session;
using CustomerService.Session.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseWebSockets();
app.MapDefaultEndpoints();
app.MapChatSockets();

app.Run();
