using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.KeyVault;
using Strongroom.Protocol.KeyVault;

namespace Strongroom.Protocol.Tests;

public sealed class KeyVaultProtocolTests
{
    [Fact]
    public void Every_vault_error_code_has_a_key_vault_error()
    {
        foreach (var code in Enum.GetValues<KeyVaultErrorCode>())
        {
            var error = KeyVaultErrorMapping.Map(code, "message");
            Assert.InRange(error.Status, 400, 499);
            Assert.False(string.IsNullOrWhiteSpace(error.Code), code.ToString());
            Assert.NotEqual("InternalError", error.Code);
        }
    }

    [Theory]
    [InlineData(KeyVaultErrorCode.SecretNotFound, 404, "SecretNotFound", null)]
    [InlineData(KeyVaultErrorCode.KeyNotFound, 404, "KeyNotFound", null)]
    [InlineData(KeyVaultErrorCode.ObjectIsDeletedButRecoverable, 409, "Conflict", "ObjectIsDeletedButRecoverable")]
    [InlineData(KeyVaultErrorCode.PurgeProtectionEnabled, 403, "Forbidden", null)]
    [InlineData(KeyVaultErrorCode.SecretDisabled, 403, "Forbidden", "SecretDisabled")]
    [InlineData(KeyVaultErrorCode.InvalidToken, 401, "Unauthorized", null)]
    [InlineData(KeyVaultErrorCode.BadParameter, 400, "BadParameter", null)]
    public void Maps_to_azures_codes(KeyVaultErrorCode code, int status, string azureCode, string? inner)
    {
        var error = KeyVaultErrorMapping.Map(code, "m");
        Assert.Equal(status, error.Status);
        Assert.Equal(azureCode, error.Code);
        Assert.Equal(inner, error.InnerCode);
    }

    [Fact]
    public void A_sealed_vault_is_503_and_broken_ciphertext_is_500()
    {
        Assert.Equal(503, KeyVaultErrorMapping.Map(ErrorCode.VaultSealed).Status);
        Assert.Equal(500, KeyVaultErrorMapping.Map(ErrorCode.IntegrityCheckFailed).Status);
    }

    [Theory]
    [InlineData("myvault.vault.example.com", "https://vault.example.com")]
    [InlineData("vault.example.com:8443", "https://example.com")]
    [InlineData("127.0.0.1:10001", "https://127.0.0.1")]
    [InlineData("localhost:10001", "https://localhost")]
    [InlineData("[::1]:10001", "https://[::1]")]
    public void The_challenge_resource_is_the_parent_domain_of_the_addressed_host(string host, string resource)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = HostString.FromUriComponent(host);
        var (authorization, actual) = KeyVaultProtocolHandler.Challenge(context.Request);
        Assert.Equal(resource, actual);
        Assert.Equal($"https://{host}/.strongroom/oauth2/token", authorization);

        // What the SDK checks when resource verification is on.
        var verifies = context.Request.Host.Host.EndsWith("." + new Uri(actual).Host, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(host.Contains(".example.com", StringComparison.Ordinal), verifies);
    }

    [Theory]
    [InlineData("/secrets", true)]
    [InlineData("/secrets/name/version", true)]
    [InlineData("/keys/k/encrypt", true)]
    [InlineData("/deletedsecrets", true)]
    [InlineData("/deletedkeys/k/recover", true)]
    [InlineData("/.strongroom/oauth2/token", true)]
    [InlineData("/.strongroom/health/ready", false)]
    [InlineData("/.strongroom/sys/unseal", false)]
    [InlineData("/devstoreaccount1/container", false)]
    [InlineData("/secretsx", false)]
    [InlineData("/", false)]
    public void Routes_the_reserved_first_segments_to_the_vault(string path, bool vault)
    {
        Assert.Equal(vault, ReservedPaths.IsKeyVaultPath(path));
    }
}

public sealed class KeyVaultHandlerTests
{
    // The HTTPS check comes before anything touches the vault, so no service is needed for it.
    private static readonly KeyVaultProtocolHandler Handler = new(null!, null!, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [Theory]
    [InlineData("/secrets/name")]
    [InlineData("/.strongroom/oauth2/token")]
    public async Task Plain_http_is_refused_before_any_token_is_read(string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Path = path;
        context.Request.Method = "GET";
        context.Request.Headers.Authorization = "Bearer some.token.value";
        context.Response.Body = new MemoryStream();

        await Handler.HandleAsync(context);

        Assert.Equal(403, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        Assert.Contains("\"code\":\"Forbidden\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("some.token.value", body, StringComparison.Ordinal);
    }
}
