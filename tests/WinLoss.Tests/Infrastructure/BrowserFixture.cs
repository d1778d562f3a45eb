using Microsoft.Playwright;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium) driven headless by Microsoft.Playwright (Playwright's own browser
/// download does not work here), plus the real service as a process on a temp database.
/// Screenshots go to tests/TestResults/screenshots/.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("WINLOSS_CHROMIUM") ?? "/usr/bin/chromium";

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public ServiceProcess Service { get; private set; } = null!;
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "winloss-browser", Guid.NewGuid().ToString("N"));
    public static string ScreenshotDirectory => Path.Combine(Repo.Root, "tests", "TestResults", "screenshots");

    public async ValueTask InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(ScreenshotDirectory);
        Service = await ServiceProcess.StartAsync(Path.Combine(Directory, "winloss.db"));
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A phone-sized context (390×844, touch, mobile UA) — the rep's device.</summary>
    public Task<IBrowserContext> PhoneAsync() => Browser.NewContextAsync(new BrowserNewContextOptions
    {
        ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
        BaseURL = Service.BaseUrl,
    });

    /// <summary>A laptop-sized context (1440×900) — marketing's and analysts' device.</summary>
    public Task<IBrowserContext> LaptopAsync() => Browser.NewContextAsync(new BrowserNewContextOptions
    {
        ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        BaseURL = Service.BaseUrl,
        AcceptDownloads = true,
    });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Service is not null) await Service.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
