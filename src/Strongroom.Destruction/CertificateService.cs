using Strongroom.Core;

namespace Strongroom.Destruction;

/// <summary>
/// Destruction certificates: builds the canonical document from a destruction record and the
/// account's log, signs it with the deployment's key, stores and serves it.
/// Owner: helper "certificates" (issue 7).
/// </summary>
public sealed class CertificateService
{
    /// <summary>
    /// Issues the next revision of <paramref name="destruction"/>'s certificate (1 at key
    /// destruction; the next when the sweep completes) and stores it. The destruction's log entries
    /// (<see cref="DestructionRecord.KeysEntryIndex"/>, <see cref="DestructionRecord.SweepEntryIndex"/>)
    /// must already be committed: the certificate carries a checkpoint containing them.
    /// Contract for helper "shredding"; implemented by helper "certificates".
    /// </summary>
    public Task<DestructionCertificate> IssueAsync(DestructionRecord destruction, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("helper certificates: CertificateService.IssueAsync");
}

/// <summary>A stored certificate: the canonical document bytes and the detached Ed25519 signature over them.</summary>
public sealed record DestructionCertificate(string DestructionId, int Revision, string Account, DateTimeOffset IssuedOn, byte[] Document, byte[] Signature);
