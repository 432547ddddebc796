using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>--metadata and $STRONGROOM_METADATA: which commands take it, which wins, and that its value is never shown.</summary>
public sealed class MetadataOptionTests : IDisposable
{
    private const string Password = "hunter2-do-not-print";
    private const string WithPassword = $"Host=127.0.0.1;Port=1;Database=strongroom;Username=strongroom;Password={Password}";

    private readonly TempDataDirectory data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public void The_option_wins_over_the_environment_variable()
    {
        static string? Environment(string name) => name == DataDirectory.MetadataEnvironmentVariable ? "Host=from-environment" : null;

        Assert.Equal("Host=from-option", DataDirectory.ResolveMetadata("Host=from-option", Environment));
        Assert.Equal("Host=from-environment", DataDirectory.ResolveMetadata(null, Environment));
        Assert.Null(DataDirectory.ResolveMetadata(null, _ => null));
        Assert.Null(DataDirectory.ResolveMetadata(null, _ => "  "));
        Assert.Throws<ArgumentException>(() => DataDirectory.ResolveMetadata(" ", Environment));
    }

    [Fact]
    public void A_data_directory_with_shared_metadata_describes_it_without_the_connection_string()
    {
        var directory = DataDirectory.Resolve(data.Path, dev: false, WithPassword);

        Assert.True(directory.HasSharedMetadata);
        Assert.Equal(WithPassword, directory.MetadataConnectionString);
        Assert.DoesNotContain(Password, directory.MetadataDescription, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(data.Path, "metadata.db"), DataDirectory.Resolve(data.Path, dev: false, null).MetadataDescription);
    }

    [Theory]
    [InlineData("server")]
    [InlineData("init")]
    [InlineData("status")]
    [InlineData("migrate")]
    [InlineData("account", "list")]
    [InlineData("account", "create")]
    [InlineData("vault", "rotate")]
    [InlineData("audit", "verify")]
    [InlineData("site", "list")]
    public async Task Every_command_that_names_a_data_directory_takes_metadata(params string[] command)
    {
        var help = await TempDataDirectory.RunAsync([.. command, "--help"]);

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--data", help.Output, StringComparison.Ordinal);
        Assert.Contains("--metadata <connection-string>", help.Output, StringComparison.Ordinal);
        Assert.Contains("$STRONGROOM_METADATA", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_without_a_data_directory_does_not_take_it_and_the_refusal_hides_the_value()
    {
        var result = await TempDataDirectory.RunAsync("certificate", "verify", "document.json", "--metadata", WithPassword);

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain(Password, result.Output + result.Error, StringComparison.Ordinal);
        Assert.Contains("<connection string>", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_empty_value_is_a_usage_error(string value)
    {
        var result = await data.RunWithDataAsync("migrate", "--metadata", value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--metadata must be a PostgreSQL connection string", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data.Path));
    }

    [Fact]
    public async Task Status_names_the_shared_database_without_its_connection_string()
    {
        // The database (port 1) cannot be reached: status says which one, by description only.
        var text = await data.RunWithDataAsync("status", "--metadata", WithPassword);
        var json = await data.RunWithDataAsync("status", "--json", "--metadata", WithPassword);

        Assert.True(text.ExitCode == 1, text.ToString());
        Assert.True(json.ExitCode == 1, json.ToString());
        Assert.Contains("Cannot open the metadata database PostgreSQL 127.0.0.1:1/", text.Error, StringComparison.Ordinal);
        Assert.Contains("Cannot open the metadata database PostgreSQL 127.0.0.1:1/", json.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text.Output + text.Error + json.Output + json.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")));
    }

    [Fact]
    public async Task Status_on_sqlite_names_the_file()
    {
        var status = await data.RunWithDataAsync("status");

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"Metadata:       {Path.Combine(data.Path, "metadata.db")}", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_is_one_line_without_the_connection_string()
    {
        var migrate = await data.RunWithDataAsync("migrate", "--metadata", WithPassword);
        var list = await data.RunWithDataAsync("account", "list", "--dev", "--metadata", WithPassword);

        foreach (var result in new[] { migrate, list })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, result.Output + result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")));
    }
}

/// <summary>$STRONGROOM_METADATA read by a real invocation; alone, since it changes the process environment.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class MetadataEnvironmentTests : IDisposable
{
    private readonly TempDataDirectory data = new();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(DataDirectory.MetadataEnvironmentVariable, null);
        data.Dispose();
    }

    [Fact]
    public async Task The_environment_variable_selects_shared_metadata_and_a_blank_one_does_not()
    {
        Environment.SetEnvironmentVariable(DataDirectory.MetadataEnvironmentVariable, "Host=127.0.0.1;Port=1;Password=from-the-environment");

        // The variable's database (port 1) is the one status tries, named by description only.
        var fromEnvironment = await data.RunWithDataAsync("status");
        Assert.True(fromEnvironment.ExitCode == 1, fromEnvironment.ToString());
        Assert.Contains("Cannot open the metadata database PostgreSQL 127.0.0.1:1/", fromEnvironment.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("from-the-environment", fromEnvironment.Output + fromEnvironment.Error, StringComparison.Ordinal);

        var migrate = await data.RunWithDataAsync("migrate");
        Assert.True(migrate.ExitCode == 1, migrate.ToString());
        Assert.DoesNotContain("from-the-environment", migrate.Output + migrate.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")));

        Environment.SetEnvironmentVariable(DataDirectory.MetadataEnvironmentVariable, "  ");
        var blank = await data.RunWithDataAsync("status");
        Assert.Contains(Path.Combine(data.Path, "metadata.db"), blank.Output, StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}
