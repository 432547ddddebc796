using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction;

/// <summary>
/// An account's data-protection settings (versioning, blob and container soft delete, permanent
/// delete) and container legal holds, for the CLI and the management plane: in Azure both are
/// management-plane (ARM) settings. The Blob API's Set Blob Service Properties reaches the blob
/// soft-delete retention through the blob service. Every change commits with its entry in the
/// account's log (<c>Account.SetDataProtection</c>, <c>Container.SetLegalHold</c>,
/// <c>Container.ClearLegalHold</c>), attributed to the caller of the current operation context.
/// Who may call is the caller's decision (the management plane: the account's tenant
/// administrators write, audit admins read; the host CLI as the host).
/// </summary>
public sealed class ProtectionService(IMetadataStore store, TransparencyLog audit)
{
    private IProtectionStore Protection => (IProtectionStore)store;

    /// <summary>The account's settings. AccountNotFound.</summary>
    public async Task<DataProtectionSettings> GetAsync(string account, CancellationToken cancellationToken = default)
    {
        RequireAccountName(account);
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        return record.DataProtection;
    }

    /// <summary>
    /// Applies <paramref name="change"/> (only what it names changes) in one transaction and returns
    /// the new settings. InvalidDataProtectionSetting for a retention outside 1–365 days or a change
    /// that changes nothing; AccountNotFound.
    /// </summary>
    public async Task<DataProtectionSettings> SetAsync(string account, DataProtectionChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        RequireAccountName(account);
        if (change.IsEmpty)
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, "Name at least one setting to change.");
        }

        if (!DataProtectionSettings.IsValidRetentionDays(change.BlobSoftDeleteDays?.Days) || !DataProtectionSettings.IsValidRetentionDays(change.ContainerSoftDeleteDays?.Days))
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A soft-delete retention is {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax} days.");
        }

        var entry = audit.Entry(account, "Account.SetDataProtection", "/" + account, details: change.Details());
        return await Protection.UpdateDataProtectionAsync(account, change.ApplyTo, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The container's legal-hold tags (empty: no hold). ContainerNotFound.</summary>
    public async Task<IReadOnlyList<string>> GetLegalHoldAsync(string account, string container, CancellationToken cancellationToken = default)
    {
        RequireContainer(account, container);
        var record = await store.GetContainerAsync(account, container, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.ContainerNotFound);
        return record.LegalHoldTags ?? [];
    }

    /// <summary>
    /// Adds legal-hold tags to the container (as Azure's Set Legal Hold: tags already there stay; at
    /// most <see cref="Limits.LegalHoldTagsMax"/> in all, each 3–23 letters or digits, kept in lower
    /// case). Returns the container's tags. InvalidDataProtectionSetting; ContainerNotFound.
    /// </summary>
    public Task<IReadOnlyList<string>> SetLegalHoldAsync(string account, string container, IReadOnlyList<string> tags, CancellationToken cancellationToken = default) =>
        ChangeLegalHoldAsync(account, container, tags, add: true, cancellationToken);

    /// <summary>Removes the given tags (absent ones are ignored); the hold ends when none remain. Returns the tags left.</summary>
    public Task<IReadOnlyList<string>> ClearLegalHoldAsync(string account, string container, IReadOnlyList<string> tags, CancellationToken cancellationToken = default) =>
        ChangeLegalHoldAsync(account, container, tags, add: false, cancellationToken);

    private async Task<IReadOnlyList<string>> ChangeLegalHoldAsync(string account, string container, IReadOnlyList<string> tags, bool add, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        RequireContainer(account, container);
        var normalized = NormalizeTags(tags);
        var entry = audit.Entry(
            account,
            add ? "Container.SetLegalHold" : "Container.ClearLegalHold",
            "/" + account + "/" + container,
            details: [new("tags", string.Join(",", normalized))]);
        var record = await Protection.UpdateContainerLegalHoldAsync(
            account,
            container,
            current =>
            {
                var next = add
                    ? current.Concat(normalized.Where(tag => !current.Contains(tag, StringComparer.Ordinal))).ToList()
                    : current.Where(tag => !normalized.Contains(tag, StringComparer.Ordinal)).ToList();
                if (next.Count > Limits.LegalHoldTagsMax)
                {
                    throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A container has at most {Limits.LegalHoldTagsMax} legal-hold tags.");
                }

                return next;
            },
            entry,
            cancellationToken).ConfigureAwait(false);
        return record.LegalHoldTags ?? [];
    }

    /// <summary>Azure's tag rule: 1 to 10 tags per call, each 3–23 ASCII letters or digits; normalized to lower case, duplicates dropped.</summary>
    public static IReadOnlyList<string> NormalizeTags(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count is 0 or > Limits.LegalHoldTagsMax)
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"Name 1 to {Limits.LegalHoldTagsMax} legal-hold tags.");
        }

        var normalized = new List<string>(tags.Count);
        foreach (var tag in tags)
        {
            if (tag is null || tag.Length is < Limits.LegalHoldTagCharsMin or > Limits.LegalHoldTagCharsMax || !tag.All(char.IsAsciiLetterOrDigit))
            {
                throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A legal-hold tag is {Limits.LegalHoldTagCharsMin} to {Limits.LegalHoldTagCharsMax} letters or digits.");
            }

            var lower = tag.ToLowerInvariant();
            if (!normalized.Contains(lower, StringComparer.Ordinal))
            {
                normalized.Add(lower);
            }
        }

        return normalized;
    }

    private static void RequireAccountName(string account)
    {
        if (!Names.IsValidAccountName(account))
        {
            throw new StorageException(ErrorCode.AccountNotFound);
        }
    }

    private static void RequireContainer(string account, string container)
    {
        RequireAccountName(account);
        if (!Names.IsValidContainerName(container))
        {
            throw new StorageException(ErrorCode.ContainerNotFound);
        }
    }
}

/// <summary>A soft-delete retention to set: <see cref="Days"/> 1–365, or null to turn it off.</summary>
public sealed record RetentionChange(int? Days);

/// <summary>What to change of an account's data-protection settings; a null member stays as it is.</summary>
public sealed record DataProtectionChange(
    bool? Versioning = null,
    RetentionChange? BlobSoftDeleteDays = null,
    RetentionChange? ContainerSoftDeleteDays = null,
    bool? AllowPermanentDelete = null)
{
    public bool IsEmpty => Versioning is null && BlobSoftDeleteDays is null && ContainerSoftDeleteDays is null && AllowPermanentDelete is null;

    public DataProtectionSettings ApplyTo(DataProtectionSettings current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            Versioning = Versioning ?? current.Versioning,
            BlobSoftDeleteDays = BlobSoftDeleteDays is { } blob ? blob.Days : current.BlobSoftDeleteDays,
            ContainerSoftDeleteDays = ContainerSoftDeleteDays is { } container ? container.Days : current.ContainerSoftDeleteDays,
            AllowPermanentDelete = AllowPermanentDelete ?? current.AllowPermanentDelete,
        };
    }

    /// <summary>The log entry's details: each setting named, with its new value.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> Details()
    {
        var details = new List<KeyValuePair<string, string>>(4);
        if (Versioning is { } versioning)
        {
            details.Add(new("versioning", versioning ? "on" : "off"));
        }

        if (BlobSoftDeleteDays is { } blob)
        {
            details.Add(new("blobSoftDeleteDays", Days(blob)));
        }

        if (ContainerSoftDeleteDays is { } container)
        {
            details.Add(new("containerSoftDeleteDays", Days(container)));
        }

        if (AllowPermanentDelete is { } permanent)
        {
            details.Add(new("allowPermanentDelete", permanent ? "on" : "off"));
        }

        return details;

        static string Days(RetentionChange change) => change.Days?.ToString(CultureInfo.InvariantCulture) ?? "off";
    }
}
