using CustomerService.ChatLoad;

var options = LoadOptions.Parse(args);
var run = new LoadRun(options, new Tokens(options.SigningKeyFile));
var result = await run.ExecuteAsync();
result.Print(options);
return result.Errors == 0 && result.Audit.Passed ? 0 : 1;
