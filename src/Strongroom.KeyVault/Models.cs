using Strongroom.Storage;

namespace Strongroom.KeyVault;

/// <summary>The attributes Key Vault reports with every secret and key version.</summary>
public sealed record ItemAttributes(
    bool Enabled,
    DateTimeOffset? NotBefore,
    DateTimeOffset? Expires,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    string RecoveryLevel,
    int RecoverableDays);

/// <summary>When a soft-deleted item was deleted and when it will be purged.</summary>
public sealed record DeletionInfo(DateTimeOffset DeletedOn, DateTimeOffset ScheduledPurgeOn);

/// <summary>A secret version without its value (what listings and updates return).</summary>
public sealed record SecretProperties(
    string Name,
    string Version,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    ItemAttributes Attributes,
    DeletionInfo? Deletion);

/// <summary>A secret version with its value.</summary>
public sealed record SecretWithValue(SecretProperties Properties, string Value);

/// <summary>
/// A key's public part and parameters, as a JSON Web Key describes them (RFC 7517). Private and
/// symmetric material is never part of it.
/// </summary>
public sealed record KeyDescription(
    string KeyType,
    IReadOnlyList<string> KeyOperations,
    int? KeySize,
    string? Curve,
    byte[]? Modulus,
    byte[]? Exponent,
    byte[]? X,
    byte[]? Y);

/// <summary>A key version (public part only).</summary>
public sealed record KeyProperties(
    string Name,
    string Version,
    KeyDescription Key,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    ItemAttributes Attributes,
    DeletionInfo? Deletion);

/// <summary>Attributes a caller sets; a null member leaves the current value unchanged on update.</summary>
public sealed record ItemChanges(
    bool? Enabled = null,
    DateTimeOffset? NotBefore = null,
    DateTimeOffset? Expires = null,
    string? ContentType = null,
    IReadOnlyList<KeyValuePair<string, string>>? Tags = null,
    IReadOnlyList<string>? KeyOperations = null);

/// <summary>What <c>create key</c> asks for.</summary>
public sealed record CreateKeyRequest(string KeyType, int? KeySize = null, string? Curve = null, IReadOnlyList<string>? KeyOperations = null, ItemChanges? Attributes = null);

/// <summary>The result of a cryptographic operation; <see cref="Version"/> is the key version used.</summary>
public sealed record KeyOperationResult(string Name, string Version, byte[] Value, byte[]? Iv = null, byte[]? AuthenticationTag = null, byte[]? AdditionalAuthenticatedData = null);

/// <summary>One page of a listing and the position to continue after (null at the end).</summary>
public sealed record VaultPage<T>(IReadOnlyList<T> Items, string? ContinueAfter);

/// <summary>A tenant's vault settings as reported: retention, purge protection and Azure's recovery level.</summary>
public sealed record VaultOptions(int RetentionDays, bool PurgeProtection, string RecoveryLevel);

/// <summary>A bearer token and when it expires.</summary>
public sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresOn, long LifetimeSeconds)
{
    /// <summary>Which account key (1 or 2) the client presented, for a client-credentials token; 0 otherwise.</summary>
    public int ClientKey { get; init; }

    /// <summary>The OAuth 2.0 token response body (RFC 6749 section 5.1, with Entra ID's <c>expires_on</c>).</summary>
    public void WriteTokenResponse(System.Text.Json.Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("access_token", AccessToken);
        writer.WriteString("token_type", "Bearer");
        writer.WriteNumber("expires_in", LifetimeSeconds);
        writer.WriteNumber("expires_on", ExpiresOn.ToUnixTimeSeconds());
        writer.WriteEndObject();
    }
}
