using Microsoft.Playwright;

namespace CustomerService.Integration.Browser;

/// <summary>
/// Debian's Chromium driven by Playwright, launched once for the page tests (each test opens its own contexts).
/// Playwright's own browser download cannot work here, so it drives /usr/bin/chromium (eng/install-prereqs.sh).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots kept as test artifacts (git-ignored): tests/Integration/artifacts/browser/.</summary>
    public string Artifacts { get; } = ArtifactsFolder();

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--disable-gpu"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }

    private static string ArtifactsFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Integration.csproj"))) dir = dir.Parent;
        var root = dir?.FullName ?? AppContext.BaseDirectory;
        return Directory.CreateDirectory(Path.Combine(root, "artifacts", "browser")).FullName;
    }
}
