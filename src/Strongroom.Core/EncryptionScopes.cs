namespace Strongroom.Core;

public enum EncryptionScopeState
{
    Enabled = 0,
    Disabled = 1,
}

/// <summary>Who holds the key that wraps a scope's key-encryption key.</summary>
public enum EncryptionScopeKeySource
{
    /// <summary>The platform keyring (Azure's <c>Microsoft.Storage</c>).</summary>
    Platform = 0,

    /// <summary>A key in the tenant's own vault (Azure's <c>Microsoft.KeyVault</c>).</summary>
    Customer = 1,
}

/// <summary>
/// An encryption scope: a named key-encryption key of an account. Its key is stored only wrapped,
/// by the platform keyring or by the tenant's vault key <see cref="CustomerKeyName"/> (version
/// <see cref="CustomerKeyVersion"/>). Scopes are never deleted, only disabled (as in Azure).
/// </summary>
public sealed record EncryptionScopeRecord(
    string Account,
    string Name,
    EncryptionScopeState State,
    EncryptionScopeKeySource KeySource,
    byte[] WrappedKeyEncryptionKey,
    string? CustomerKeyName,
    string? CustomerKeyVersion,
    DateTimeOffset CreatedOn);

public static class EncryptionScopeNames
{
    /// <summary>The name Azure uses for "no scope: the account's own key".</summary>
    public const string AccountKey = "$account-encryption-key";

    /// <summary>
    /// Azure: 3–63 characters of lowercase letters, digits and dashes; every dash is preceded and
    /// followed by a letter or digit.
    /// </summary>
    public static bool IsValid(string? name) =>
        name is not null
        && name.Length is >= Limits.EncryptionScopeNameLengthMin and <= Limits.EncryptionScopeNameLengthMax
        && name[0] != '-'
        && name[^1] != '-'
        && !name.Contains("--", StringComparison.Ordinal)
        && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');

    /// <summary>Null and <see cref="AccountKey"/> both mean the account key; returns null for either.</summary>
    public static string? Normalize(string? name) => name is null or AccountKey ? null : name;
}
