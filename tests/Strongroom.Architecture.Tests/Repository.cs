using System.Xml.Linq;

namespace Strongroom.Architecture.Tests;

internal static class Repository
{
    /// <summary>The repository root: the nearest ancestor of the test output holding Directory.Build.props.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Every project under src/, tests/ and bench/, as repository-relative paths with '/' separators.</summary>
    public static IReadOnlyList<string> Projects(params string[] folders) =>
        folders
            .Select(folder => Path.Combine(Root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.csproj", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static string AssemblyName(string relativeProjectPath)
    {
        var project = XDocument.Load(Path.Combine(Root, relativeProjectPath));
        var declared = project.Descendants("AssemblyName").Select(element => element.Value.Trim()).FirstOrDefault();
        return string.IsNullOrEmpty(declared) ? Path.GetFileNameWithoutExtension(relativeProjectPath) : declared;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(directory.FullName, "src")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}.");
    }
}
