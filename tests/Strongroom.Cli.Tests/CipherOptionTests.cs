using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary><c>account create --cipher</c>: the suite is chosen once and shown by list and show.</summary>
public sealed class CipherOptionTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Create_defaults_to_aes_256_gcm()
    {
        var result = await data.RunWithDataAsync("account", "create", "plain1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Cipher:            aes-256-gcm", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_sm4_gcm_is_shown_by_show_and_list()
    {
        var created = await data.RunWithDataAsync("account", "create", "china1", "--cipher", "sm4-gcm");
        await data.RunWithDataAsync("account", "create", "plain2", "--cipher", "aes-256-gcm");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Cipher:            sm4-gcm", created.Output, StringComparison.Ordinal);

        var shown = await data.RunWithDataAsync("account", "show", "china1");
        Assert.Contains("Cipher:            sm4-gcm", shown.Output, StringComparison.Ordinal);

        var listed = await data.RunWithDataAsync("account", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var lines = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("CIPHER", lines[0], StringComparison.Ordinal);
        Assert.Contains("sm4-gcm", lines.Single(line => line.StartsWith("china1", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("aes-256-gcm", lines.Single(line => line.StartsWith("plain2", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_names_the_cipher()
    {
        var created = await data.RunWithDataAsync("account", "create", "china2", "--cipher", "sm4-gcm", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        using (var document = JsonDocument.Parse(created.Output))
        {
            Assert.Equal("sm4-gcm", document.RootElement.GetProperty("cipher").GetString());
        }

        using (var document = JsonDocument.Parse((await data.RunWithDataAsync("account", "show", "china2", "--json")).Output))
        {
            Assert.Equal("sm4-gcm", document.RootElement.GetProperty("cipher").GetString());
        }

        using (var document = JsonDocument.Parse((await data.RunWithDataAsync("account", "list", "--json")).Output))
        {
            Assert.Equal("sm4-gcm", Assert.Single(document.RootElement.EnumerateArray()).GetProperty("cipher").GetString());
        }
    }

    [Theory]
    [InlineData("sm4")]
    [InlineData("aes")]
    [InlineData("chacha20-poly1305")]
    [InlineData("")]
    public async Task An_unknown_cipher_is_a_usage_error_and_creates_nothing(string cipher)
    {
        var result = await data.RunWithDataAsync("account", "create", "wrong1", "--cipher", cipher);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
        Assert.Contains("--cipher", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
        Assert.NotEqual(0, (await data.RunWithDataAsync("account", "show", "wrong1")).ExitCode);
    }

    [Fact]
    public async Task Help_lists_the_cipher_option()
    {
        var result = await TempDataDirectory.RunAsync("account", "create", "--help");

        Assert.Contains("--cipher", result.Output, StringComparison.Ordinal);
        Assert.Contains("sm4-gcm", result.Output, StringComparison.Ordinal);
    }
}
