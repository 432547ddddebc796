using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction;

/// <summary>
/// Destruction certificates: builds the canonical document (<see cref="CertificateDocument"/>) from
/// a destruction record and the account's log, signs it with the deployment's key (the checkpoint
/// signer, so the key a tenant pinned for its log verifies it), stores and serves it. Each issue
/// is recorded in the account's log (<see cref="AuditActions.IssueCertificate"/>, with
/// the document's SHA-256) in the transaction that stores it.
/// </summary>
public sealed class CertificateService(IMetadataStore store, TransparencyLog audit, TimeProvider time)
{
    // One gate per destruction, so this process signs each revision once. Across the servers of a
    // deployment the store decides: it keeps the first revision stored and none beyond what the
    // destruction owes; an issuer that loses answers with the stored certificate.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    private ICertificateStore Certificates => (ICertificateStore)store;

    /// <summary>
    /// Issues the next revision of <paramref name="destruction"/>'s certificate (1 at key
    /// destruction; the next when the sweep completes) and stores it. The destruction's log entries
    /// (<see cref="DestructionRecord.KeysEntryIndex"/>, <see cref="DestructionRecord.SweepEntryIndex"/>)
    /// must already be committed: the certificate carries a fresh checkpoint containing them, with
    /// an inclusion proof for each. VaultSealed while sealed (nothing is stored then). When another
    /// issuer (another server of the deployment) stored this revision first, or the destruction
    /// owes none any more, nothing is added and the stored latest revision is returned: one
    /// certificate per revision owed, however many servers issue it.
    /// </summary>
    public async Task<DestructionCertificate> IssueAsync(DestructionRecord destruction, CancellationToken cancellationToken = default)
    {
        Validate(destruction);
        var gate = gates.GetOrAdd(destruction.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = await Certificates.GetCertificateAsync(destruction.Id, null, cancellationToken).ConfigureAwait(false);
            Invariant.True(previous is null || previous.Account == destruction.Account, "a destruction's certificates are all of its account");
            var revision = (previous?.Revision ?? 0) + 1;
            var log = await BuildLogAsync(destruction, previous, cancellationToken).ConfigureAwait(false);
            var issuedOn = time.GetUtcNow();
            var document = Document(destruction, revision, issuedOn, log).Encode();
            var signature = audit.Signer.SignDetached(document);

            // On the way out: what is stored verifies under the key tenants pin.
            var check = CertificateVerifier.Verify(document, signature, audit.VerifierKey(destruction.Account));
            Invariant.True(check.Valid, "an issued certificate verifies: " + string.Join("; ", check.Failures));

            var entry = audit.Entry(
                destruction.Account,
                AuditActions.IssueCertificate,
                "/" + destruction.Account,
                details:
                [
                    new(AuditActions.DestructionDetail, destruction.Id),
                    new("revision", revision.ToString(CultureInfo.InvariantCulture)),
                    new("sha256", Convert.ToHexStringLower(SHA256.HashData(document))),
                ]);
            var stored = new StoredCertificate(destruction.Id, revision, destruction.Account, issuedOn, document, signature);
            if (!await Certificates.PutCertificateAsync(stored, entry, cancellationToken).ConfigureAwait(false))
            {
                var kept = await Certificates.GetCertificateAsync(destruction.Id, null, cancellationToken).ConfigureAwait(false);
                Invariant.True(kept is not null && kept.Account == destruction.Account, "a certificate revision refused by the store was refused for one it holds");
                return ToCertificate(kept!);
            }

            return ToCertificate(stored);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The latest revision of each of the account's certificates, newest first.</summary>
    public async Task<IReadOnlyList<DestructionCertificate>> ListAsync(string account, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        var rows = await Certificates.ListCertificatesAsync(account, Limits.CertificatesListMax, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToCertificate)];
    }

    /// <summary>One revision (null: the latest) of a certificate of <paramref name="account"/>; CertificateNotFound when there is none (or it is another account's).</summary>
    public async Task<DestructionCertificate> GetAsync(string account, string destructionId, int? revision = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        if (string.IsNullOrEmpty(destructionId) || destructionId.Length > Limits.AuditTextCharsMax || revision is < 1)
        {
            throw new StorageException(ErrorCode.CertificateNotFound, "There is no such certificate.");
        }

        var stored = await Certificates.GetCertificateAsync(destructionId, revision, cancellationToken).ConfigureAwait(false);
        if (stored is null || !string.Equals(stored.Account, account, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.CertificateNotFound, revision is { } number
                ? $"Destruction {destructionId} of account {account} has no certificate revision {number}."
                : $"Account {account} has no certificate for destruction {destructionId}.");
        }

        return ToCertificate(stored);
    }

    /// <summary>The scope a certificate names (its document's), for listings.</summary>
    public static CertificateScope ScopeOf(DestructionCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return CertificateDocument.Decode(certificate.Document).Scope;
    }

    private static DestructionCertificate ToCertificate(StoredCertificate stored) =>
        new(stored.DestructionId, stored.Revision, stored.Account, stored.IssuedOn, stored.Document, stored.Signature);

    private static void Validate(DestructionRecord destruction)
    {
        ArgumentNullException.ThrowIfNull(destruction);
        ArgumentException.ThrowIfNullOrEmpty(destruction.Id);
        ArgumentException.ThrowIfNullOrEmpty(destruction.Account);
        ArgumentNullException.ThrowIfNull(destruction.Keys);
        ArgumentNullException.ThrowIfNull(destruction.Sites);
        if (destruction.KeysEntryIndex is null)
        {
            throw new ArgumentException($"Destruction {destruction.Id} has no key-destruction entry yet: a certificate is issued once the keys are destroyed and logged.", nameof(destruction));
        }

        if ((destruction.State == DestructionState.Complete) != (destruction.SweepEntryIndex is not null) || (destruction.SweepEntryIndex is not null) != (destruction.SweepCompletedOn is not null))
        {
            throw new ArgumentException($"Destruction {destruction.Id}: a complete sweep has its completion time and entry, an incomplete one neither.", nameof(destruction));
        }
    }

    /// <summary>A fresh checkpoint of the account's log, and each destruction entry with its inclusion proof at its size.</summary>
    private async Task<CertificateLog> BuildLogAsync(DestructionRecord destruction, StoredCertificate? previous, CancellationToken cancellationToken)
    {
        var log = destruction.Account;
        var checkpoint = await audit.GetCheckpointAsync(log, cancellationToken).ConfigureAwait(false);
        var indexes = new List<long> { destruction.KeysEntryIndex!.Value };
        if (destruction.SweepEntryIndex is { } sweep)
        {
            indexes.Add(sweep);
        }

        indexes.Sort();
        var entries = new List<CertificateLogEntry>(indexes.Count);
        foreach (var index in indexes)
        {
            Invariant.True(index >= 0 && index < checkpoint.Size, $"destruction {destruction.Id}'s entry {index} is committed before its certificate is issued");
            var stored = await audit.ReadEntriesAsync(log, index, index + 1, cancellationToken).ConfigureAwait(false);
            Invariant.True(stored is [{ } one] && one.Index == index, $"the log returns entry {index}");
            var body = stored[0].Body ?? PreviousBody(previous, index, stored[0].LeafHash)
                ?? throw new InvalidOperationException($"Entry {index} of {log}'s log was pruned and no earlier certificate of destruction {destruction.Id} carries it.");
            var proof = await audit.GetInclusionProofAsync(log, index, checkpoint.Size, cancellationToken).ConfigureAwait(false);
            Invariant.True(MerkleTree.VerifyInclusion(index, checkpoint.Size, MerkleTree.LeafHash(body), proof, checkpoint.RootHash), $"entry {index} of {log}'s log is included in its checkpoint");
            entries.Add(new CertificateLogEntry(index, body, proof));
        }

        return new CertificateLog(audit.Origin(log), checkpoint.Note, entries);
    }

    /// <summary>An entry whose body retention erased, from the previous revision (its leaf hash stays in the log, so it is checked against it).</summary>
    private static byte[]? PreviousBody(StoredCertificate? previous, long index, byte[] leafHash)
    {
        if (previous is null)
        {
            return null;
        }

        var entry = CertificateDocument.Decode(previous.Document).Log.Entries.FirstOrDefault(item => item.Index == index);
        return entry is not null && MerkleTree.LeafHash(entry.Entry).AsSpan().SequenceEqual(leafHash) ? entry.Entry : null;
    }

    private CertificateDocument Document(DestructionRecord destruction, int revision, DateTimeOffset issuedOn, CertificateLog log)
    {
        var dataKeys = destruction.Keys.Where(IsDataKey).Select(key => key.Id).ToList();
        var listed = destruction.Keys.Where(key => !IsDataKey(key) || dataKeys.Count <= Limits.CertificateKeyIdsMax).ToList();
        listed.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var sites = destruction.Sites.ToList();
        sites.Sort((a, b) => string.CompareOrdinal(a.SiteId, b.SiteId));
        return new CertificateDocument
        {
            Id = destruction.Id,
            Revision = revision,
            IssuedOn = issuedOn,
            Deployment = audit.DeploymentId,
            Account = destruction.Account,

            // An account closure's scope is the account, whatever name the record gives it.
            Scope = new CertificateScope(destruction.Kind, destruction.Kind == DestructionKind.AccountClosure ? destruction.Account : destruction.Scope),
            Keys = listed,
            DataKeys = new DataKeySummary(dataKeys.Count, CertificateDocument.DataKeyDigest(dataKeys)),
            Objects = destruction.ObjectCount,
            Bytes = destruction.ByteCount,
            Sites = sites,
            KeysDestroyedOn = destruction.KeysDestroyedOn,
            SweepCompletedOn = destruction.SweepCompletedOn,
            Log = log,
            VerifierKey = audit.VerifierKey(destruction.Account).ToString(),
        };
    }

    private static bool IsDataKey(DestroyedKey key) => key.Id.StartsWith(CertificateDocument.DataKeyIdPrefix, StringComparison.Ordinal);
}

/// <summary>A stored certificate: the canonical document bytes and the detached Ed25519 signature over them.</summary>
public sealed record DestructionCertificate(string DestructionId, int Revision, string Account, DateTimeOffset IssuedOn, byte[] Document, byte[] Signature);
