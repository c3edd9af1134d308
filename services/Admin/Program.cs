using CustomerService.Admin;
using CustomerService.Admin.Accounts;
using CustomerService.Admin.Agents;
using CustomerService.Admin.Configuration;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapAuthApi();
app.MapConfigurationAdmin();
app.MapAgentsApi();
app.MapIdentitySecretApi();

app.Run();
