using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.KeyVault;

/// <summary>
/// What the vault records in the account's transparency log: every operation, always, named
/// <c>Vault.&lt;operation&gt;</c> after the Key Vault REST operation (<c>Vault.SetSecret</c>,
/// <c>Vault.GetSecret</c>, <c>Vault.WrapKey</c>…), on <c>vault:/secrets/NAME</c>,
/// <c>vault:/keys/NAME</c> or a collection (<c>vault:/secrets</c>, <c>vault:/deletedkeys</c>…),
/// with the version and algorithm in the details and never a value or key material. A change
/// carries its entry into the store call that makes it (one transaction); a read or a
/// cryptographic operation is recorded after it is computed and before its result is returned.
/// A failure is recorded with the vault error code as its outcome. An entry that cannot be
/// recorded fails the operation (AuditLogUnavailable), whatever it was.
/// </summary>
public sealed partial class KeyVaultService
{
    /// <summary>The resource of an item (live or deleted): <c>vault:/secrets/NAME</c> or <c>vault:/keys/NAME</c>.</summary>
    public static string Resource(VaultItemKind kind, string name) => Collection(kind, deleted: false) + "/" + name;

    /// <summary>The resource of a listing: <c>vault:/secrets</c>, <c>vault:/keys</c>, <c>vault:/deletedsecrets</c>, <c>vault:/deletedkeys</c>.</summary>
    public static string Collection(VaultItemKind kind, bool deleted) =>
        "vault:/" + (deleted ? "deleted" : string.Empty) + (kind == VaultItemKind.Secret ? ReservedPaths.Secrets : ReservedPaths.Keys);

    /// <summary>The kind under which a bearer token's pseudonym is computed.</summary>
    public const string TokenPseudonymKind = "token";

    /// <summary>
    /// The pseudonym of a bearer token, recorded as the grant of the actor who presented it:
    /// entries made with one token can be correlated, and the token cannot be recovered from them.
    /// VaultSealed while sealed.
    /// </summary>
    public string TokenPseudonym(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var bytes = System.Text.Encoding.UTF8.GetBytes(token);
        try
        {
            return audit.Pseudonym(TokenPseudonymKind, bytes);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The action of the entry that records a bearer token issued to a tenant.</summary>
    public const string IssueTokenAction = "IssueToken";

    /// <summary>
    /// Records that <paramref name="token"/> was issued for <paramref name="account"/>, before it
    /// is handed out (AuditLogUnavailable otherwise: the token must then not be returned). The
    /// entry carries the token's pseudonym as <c>grant</c> (the grant of every entry made with
    /// it) and its expiry; the actor is the current one (the account key that asked for it).
    /// </summary>
    public Task RecordTokenIssuedAsync(string account, IssuedToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        IReadOnlyList<KeyValuePair<string, string>> details =
        [
            new("expiresOn", token.ExpiresOn.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
            new("grant", TokenPseudonym(token.AccessToken)),
        ];
        return audit.RecordAsync(audit.Entry(account, IssueTokenAction, "/" + account, details: details), cancellationToken);
    }

    /// <summary>The vault's own settings (retention, purge protection).</summary>
    public const string SettingsResource = "vault:/settings";

    private AuditAppend VaultEntry(string account, string operation, string resource, IReadOnlyList<KeyValuePair<string, string>>? details = null, string outcome = AuditOutcomes.Success) =>
        audit.Entry(account, AuditActions.VaultPrefix + operation, resource, outcome, details);

    private Task RecordAsync(string account, string operation, string resource, IReadOnlyList<KeyValuePair<string, string>>? details, CancellationToken cancellationToken) =>
        audit.RecordAsync(VaultEntry(account, operation, resource, details), cancellationToken);

    /// <summary>
    /// Runs one operation; an operating error is recorded (outcome: its code) before it reaches the
    /// caller. Success is recorded by the operation itself, in its transaction or before it returns.
    /// </summary>
    private async Task<T> AuditedAsync<T>(string account, string operation, string resource, Func<Task<T>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception exception) when (FailureOutcome(exception) is { } outcome)
        {
            await audit.RecordAsync(VaultEntry(account, operation, resource, outcome: outcome), cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private async Task AuditedAsync(string account, string operation, string resource, Func<Task> run, CancellationToken cancellationToken) =>
        await AuditedAsync<bool>(
            account,
            operation,
            resource,
            async () =>
            {
                await run().ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>The outcome of a failed operation, or null when it is not an operating error (nothing more can be recorded).</summary>
    private static string? FailureOutcome(Exception exception) => exception switch
    {
        KeyVaultException vault => vault.Code.ToString(),
        StorageException { Code: not ErrorCode.AuditLogUnavailable } storage => storage.Code.ToString(),
        _ => null,
    };

    private static IReadOnlyList<KeyValuePair<string, string>> VersionDetails(string version, string? algorithm = null) =>
        algorithm is null ? [new("version", version)] : [new("algorithm", algorithm), new("version", version)];

    private static string Text(bool value) => value ? "true" : "false";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
