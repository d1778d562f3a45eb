namespace WinLoss.Tests.Infrastructure;

public static class Repo
{
    /// <summary>The repository root (the folder holding WinLoss.sln).</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WinLoss.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("WinLoss.sln not found above " + AppContext.BaseDirectory);
    }
}
