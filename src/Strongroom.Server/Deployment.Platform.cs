using System.Globalization;
using Strongroom.Audit;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// The platform log's events (issue 4): seal, unseal, rekey, keyring rotation, rewrap passes,
/// vault initialisation, server start and stop, each attributed to <see cref="OperationContext.Current"/>.
/// The store needs no key, so entries are written sealed or not; only signing checkpoints needs
/// the vault. Rules where the issue is silent:
/// - an unseal whose entry cannot be written is undone (the vault seals again) and fails;
/// - rotation and rekey are recorded before they happen (fail closed); a failure after the
///   entry is recorded as a second entry whose outcome names the error;
/// - a seal is recorded before the keys are wiped, but it always happens: refusing to seal because
///   the log is down would keep keys in memory that an operator wants gone (the caller is told).
/// </summary>
public sealed partial class Deployment
{
    public const string VaultResource = "platform:vault";
    public const string ServerResource = "platform:server";

    // Set by the unseal hook on the thread whose share opened the seal (Submit runs its hooks synchronously).
    [ThreadStatic]
    private static bool openedOnThisThread;

    private int unsealHookRegistered;

    /// <summary>Appends one entry to the platform log, durably; AuditLogUnavailable when it cannot.</summary>
    public Task RecordPlatformAsync(string action, string resource, IReadOnlyList<KeyValuePair<string, string>>? details = null, string outcome = AuditOutcomes.Success, CancellationToken cancellationToken = default) =>
        Audit.RecordAsync(Audit.Entry(AuditLogs.Platform, action, resource, outcome, details), cancellationToken);

    /// <summary>
    /// Submits one unseal share. When this share opens the seal, records <c>Unseal</c> in the
    /// platform log; if that fails, the vault is sealed again and the error is thrown (no key
    /// material is served by an unseal nobody can see). Shares are not logged one by one.
    /// </summary>
    public async Task<UnsealProgress> SubmitUnsealShareAsync(UnsealShare share, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(share);
        openedOnThisThread = false;
        var progress = Vault.Submit(share);
        var opened = openedOnThisThread;
        openedOnThisThread = false;
        if (opened)
        {
            await RecordUnsealAsync(progress.Status, cancellationToken).ConfigureAwait(false);
        }

        return progress;
    }

    /// <summary>Records an unseal that already happened (development self-unseal); seals again when the entry cannot be written.</summary>
    public async Task RecordUnsealAsync(SealStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        try
        {
            await RecordPlatformAsync(AuditActions.Unseal, VaultResource, [Detail("threshold", status.Threshold), Detail("generation", status.Generation)], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Vault.Seal();
            throw;
        }
    }

    /// <summary>
    /// Records <c>Seal</c>, then wipes the keys. The seal happens even when the entry cannot be
    /// written; the result says whether it was recorded.
    /// </summary>
    public async Task<bool> SealAsync(CancellationToken cancellationToken = default)
    {
        var recorded = true;
        try
        {
            await RecordPlatformAsync(AuditActions.Seal, VaultResource, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Whatever kept the entry out, the keys still go.
            recorded = false;
        }
        finally
        {
            Vault.Seal();
        }

        return recorded;
    }

    /// <summary>
    /// <see cref="RotateKeyring"/>, recorded first (<c>RotateKeyring</c> with the version rotated
    /// from); a failure after the entry is recorded with its outcome. VaultSealed while sealed.
    /// </summary>
    public async Task<uint> RotateKeyringAsync(CancellationToken cancellationToken = default)
    {
        var from = KeyringCurrentVersion;
        await RecordPlatformAsync(AuditActions.RotateKeyring, VaultResource, [Detail("fromVersion", from)], cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return RotateKeyring();
        }
        catch (Exception exception)
        {
            await RecordFailureAsync(AuditActions.RotateKeyring, VaultResource, exception, [Detail("fromVersion", from)]).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One explicit rewrap pass (<c>strongroom vault rewrap</c>), recorded with its counts when it completes.</summary>
    public async Task<RewrapCounts> RewrapAsync(CancellationToken cancellationToken = default)
    {
        var counts = await Rewrapper.RunAsync(cancellationToken).ConfigureAwait(false);
        await RecordRewrapAsync(counts, cancellationToken).ConfigureAwait(false);
        return counts;
    }

    /// <summary>Records a completed rewrap pass (background or explicit): what moved to the current versions.</summary>
    public Task RecordRewrapAsync(RewrapCounts counts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return RecordPlatformAsync(
            AuditActions.Rewrap,
            VaultResource,
            [
                Detail("sharedKeys", counts.SharedKeys),
                Detail("keyEncryptionKeys", counts.KeyEncryptionKeys),
                Detail("dataKeys", counts.DataKeys),
                Detail("vaultItemValues", counts.VaultItemValues),
                Detail("skipped", counts.Skipped),
                Detail("failed", counts.Failed),
            ],
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Issues new shares (<see cref="VaultSetup.Rekey"/>) after checking the presented ones and
    /// recording <c>Rekey</c> (new N and K, never a share); a failure after the entry is recorded.
    /// </summary>
    public async Task<IReadOnlyList<UnsealShare>> RekeyAsync(IReadOnlyList<UnsealShare> current, int shares, int threshold, IRandomSource random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);

        // Servers sharing the metadata database rekey the seal stored there (VaultFiles).
        var shared = Directory.MetadataConnectionString is not null;
        IReadOnlyList<UnsealShare> Rekey() => shared
            ? VaultSetup.Rekey(VaultFiles, current, shares, threshold, random)
            : VaultSetup.Rekey(Directory, current, shares, threshold, random);

        // Refused with its reason (development, or not initialised), before anything is recorded.
        if (DeploymentVault.Of(VaultFiles) is not { IsDevelopment: false, Seal: { } seal })
        {
            return Rekey();
        }

        foreach (var share in current)
        {
            seal.Verify(share);
        }

        if (current.Select(share => share.Index).Distinct().Count() < seal.Threshold)
        {
            return Rekey();
        }

        IReadOnlyList<KeyValuePair<string, string>> details = [Detail("shares", shares), Detail("threshold", threshold), Detail("fromGeneration", seal.Generation)];
        await RecordPlatformAsync(AuditActions.Rekey, VaultResource, details, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return Rekey();
        }
        catch (Exception exception)
        {
            await RecordFailureAsync(AuditActions.Rekey, VaultResource, exception, details).ConfigureAwait(false);
            throw;
        }
    }

    internal static KeyValuePair<string, string> Detail(string key, long value) => new(key, value.ToString(CultureInfo.InvariantCulture));

    internal static KeyValuePair<string, string> Detail(string key, string value) => new(key, value);

    private async Task RecordFailureAsync(string action, string resource, Exception exception, IReadOnlyList<KeyValuePair<string, string>> details)
    {
        var outcome = exception switch
        {
            StorageException storage => storage.Code.ToString(),
            SealException seal => seal.Rejection.ToString(),
            _ => "InternalError",
        };
        try
        {
            await RecordPlatformAsync(action, resource, details, outcome).ConfigureAwait(false);
        }
        catch (Exception) when (exception is not null)
        {
            // The operation's own error is what the caller needs; its first entry is in the log.
        }
    }

    private void EnsureUnsealHook()
    {
        if (Interlocked.Exchange(ref unsealHookRegistered, 1) == 0)
        {
            Vault.RegisterUnsealHook(static () => openedOnThisThread = true);
        }
    }
}
