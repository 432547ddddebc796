namespace Strongroom.Architecture.Tests;

public sealed class RepositoryTests
{
    [Fact]
    public void Banned_symbols_file_exists_and_bans_ambient_time_and_randomness()
    {
        var path = Path.Combine(Repository.Root, "BannedSymbols.txt");
        Assert.True(File.Exists(path), "BannedSymbols.txt is missing at the repository root.");
        var banned = File.ReadAllText(path);
        Assert.Contains("P:System.DateTime.UtcNow", banned, StringComparison.Ordinal);
        Assert.Contains("P:System.DateTime.Now", banned, StringComparison.Ordinal);
        Assert.Contains("P:System.Random.Shared", banned, StringComparison.Ordinal);
        Assert.Contains("M:System.Guid.NewGuid", banned, StringComparison.Ordinal);
    }

    [Fact]
    public void Banned_symbols_are_wired_into_every_build()
    {
        var props = File.ReadAllText(Path.Combine(Repository.Root, "Directory.Build.props"));
        Assert.Contains("Microsoft.CodeAnalysis.BannedApiAnalyzers", props, StringComparison.Ordinal);
        Assert.Contains("<AdditionalFiles Include=\"$(MSBuildThisFileDirectory)BannedSymbols.txt\"", props, StringComparison.Ordinal);
        Assert.Contains("<TreatWarningsAsErrors>true</TreatWarningsAsErrors>", props, StringComparison.Ordinal);
        Assert.Contains("<Nullable>enable</Nullable>", props, StringComparison.Ordinal);
    }

    [Fact]
    public void The_analyzer_is_loaded_into_src_builds()
    {
        // The analyzer reference is conditional on IsTestProject: a src project must not opt out.
        foreach (var project in Repository.Projects("src"))
        {
            var text = File.ReadAllText(Path.Combine(Repository.Root, project));
            Assert.DoesNotContain("<IsTestProject>true", text, StringComparison.Ordinal);
            Assert.DoesNotContain("BannedSymbols", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_solution_lists_every_project()
    {
        var solution = File.ReadAllText(Path.Combine(Repository.Root, "Strongroom.slnx"));
        var missing = Repository.Projects("src", "tests", "bench")
            .Where(project => !solution.Contains($"\"{project}\"", StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "Add to Strongroom.slnx (dotnet sln add): " + string.Join(", ", missing));
    }

    [Fact]
    public void The_readme_starts_with_the_two_commands_and_ci_runs_the_second()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var firstBlock = readme[(readme.IndexOf("```", StringComparison.Ordinal) + 3)..];
        firstBlock = firstBlock[..firstBlock.IndexOf("```", StringComparison.Ordinal)];
        var commands = firstBlock.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith('#') && line is not ("sh" or "bash" or "shell"))
            .ToList();
        Assert.Equal(["./strongroom server --dev", "./test.sh"], commands);

        var ci = File.ReadAllText(Path.Combine(Repository.Root, ".ci", "run"));
        Assert.Contains("exec ./test.sh", ci, StringComparison.Ordinal);
    }
}
