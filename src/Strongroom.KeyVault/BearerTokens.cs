using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.KeyVault;

/// <summary>
/// Bearer tokens for the Key Vault API: self-contained JWTs (RFC 7519) signed with HMAC-SHA256
/// by a key derived from the platform keyring (<see cref="TenantKeys.BearerTokenSigningKey"/>),
/// so they stop verifying when the keyring is closed (the vault sealed). A token names the
/// account (<c>sub</c>), the audience, its issue and expiry times and, as <c>kid</c>, the
/// platform key version that signed it. Verification is in constant time, and the account must
/// still exist and be enabled. A token is never logged and never part of an error message.
/// </summary>
public sealed class BearerTokens(IMetadataStore accounts, TenantKeys keys, TimeProvider time)
{
    /// <summary>The audience of tokens for the Key Vault API (other Strongroom APIs will use others).</summary>
    public const string KeyVaultAudience = "strongroom-keyvault";

    private const string Issuer = "strongroom";
    private static readonly byte[] Header = """{"alg":"HS256","typ":"JWT","kid":"%"}"""u8.ToArray();

    /// <summary>Issues a token for <paramref name="account"/> (the CLI's <c>account token</c>). AccountNotFound when absent.</summary>
    public async Task<IssuedToken> IssueAsync(string account, TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        var record = await accounts.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);
        if (record.State != AccountState.Enabled)
        {
            throw new StorageException(ErrorCode.AccountDisabled);
        }

        return Sign(account, lifetime ?? Limits.BearerTokenLifetimeDefault);
    }

    /// <summary>
    /// OAuth 2.0 client credentials (RFC 6749 §4.4): <paramref name="clientId"/> is the account,
    /// <paramref name="clientSecret"/> one of its shared keys in base64. Compared in constant time;
    /// any mismatch is the same <see cref="KeyVaultErrorCode.InvalidClient"/>.
    /// </summary>
    public async Task<IssuedToken> IssueForClientAsync(string clientId, string clientSecret, CancellationToken cancellationToken = default)
    {
        var record = Names.IsValidAccountName(clientId)
            ? await accounts.GetAccountAsync(clientId, cancellationToken).ConfigureAwait(false)
            : null;
        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(clientSecret);
        }
        catch (FormatException)
        {
            presented = [];
        }

        var matched = false;
        var matchedSlot = 0;
        try
        {
            if (record is { State: AccountState.Enabled })
            {
                foreach (var (slot, wrapped) in new[] { (1, record.WrappedSharedKey1), (2, record.WrappedSharedKey2) })
                {
                    var key = keys.UnwrapSharedKey(record.Name, slot, wrapped);
                    try
                    {
                        var equal = CryptographicOperations.FixedTimeEquals(key, presented);
                        matched |= equal;
                        matchedSlot = equal ? slot : matchedSlot;
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(key);
                    }
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(presented);
        }

        if (!matched)
        {
            throw new KeyVaultException(KeyVaultErrorCode.InvalidClient, "The client credentials are not valid.");
        }

        return Sign(record!.Name, Limits.BearerTokenLifetimeDefault) with { ClientKey = matchedSlot };
    }

    /// <summary>Returns the account a valid token names; throws <see cref="KeyVaultErrorCode.InvalidToken"/> otherwise.</summary>
    public async Task<string> ValidateAsync(string token, string audience, CancellationToken cancellationToken = default)
    {
        var account = Verify(token, audience);
        var record = await accounts.GetAccountAsync(account, cancellationToken).ConfigureAwait(false);
        if (record is not { State: AccountState.Enabled })
        {
            throw Invalid();
        }

        return account;
    }

    private IssuedToken Sign(string account, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > Limits.BearerTokenLifetimeMax)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"A token lifetime is more than zero and at most {Limits.BearerTokenLifetimeMax.TotalHours} hours.");
        }

        var now = time.GetUtcNow();
        var expires = now + lifetime;
        var version = keys.PlatformKeyVersion;
        var header = Base64Url.Encode(HeaderFor(version));
        var payload = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = account,
            ["aud"] = KeyVaultAudience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        var signingInput = $"{header}.{payload}";
        var signature = Mac(version, Encoding.ASCII.GetBytes(signingInput));
        return new IssuedToken($"{signingInput}.{Base64Url.Encode(signature)}", DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), expires.ToUnixTimeSeconds() - now.ToUnixTimeSeconds());
    }

    private string Verify(string token, string audience)
    {
        if (string.IsNullOrEmpty(token) || token.Length > Limits.BearerTokenCharsMax)
        {
            throw Invalid();
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw Invalid();
        }

        try
        {
            var version = ParseHeader(Base64Url.Decode(parts[0]));
            var expected = Mac(version, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.Decode(parts[2])))
            {
                throw Invalid();
            }

            using var payload = JsonDocument.Parse(Base64Url.Decode(parts[1]));
            var root = payload.RootElement;
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            if (root.GetProperty("iss").GetString() != Issuer
                || root.GetProperty("aud").GetString() != audience
                || root.GetProperty("nbf").GetInt64() > now
                || root.GetProperty("exp").GetInt64() <= now)
            {
                throw Invalid();
            }

            return root.GetProperty("sub").GetString() ?? throw Invalid();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
            or KeyVaultException { Code: KeyVaultErrorCode.BadParameter } or StorageException { Code: ErrorCode.IntegrityCheckFailed })
        {
            throw Invalid();
        }
    }

    private static byte[] HeaderFor(uint version)
    {
        var text = Encoding.ASCII.GetString(Header).Replace("%", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return Encoding.ASCII.GetBytes(text);
    }

    private static uint ParseHeader(byte[] header)
    {
        using var document = JsonDocument.Parse(header);
        var root = document.RootElement;
        if (root.GetProperty("alg").GetString() != "HS256" || root.GetProperty("typ").GetString() != "JWT"
            || !uint.TryParse(root.GetProperty("kid").GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            throw Invalid();
        }

        return version;
    }

    private byte[] Mac(uint version, byte[] signingInput)
    {
        var key = keys.BearerTokenSigningKey(version);
        try
        {
            return HMACSHA256.HashData(key, signingInput);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static KeyVaultException Invalid() => new(KeyVaultErrorCode.InvalidToken, "The bearer token is not valid or has expired.");
}
