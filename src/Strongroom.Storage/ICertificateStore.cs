using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>One revision of a destruction certificate as stored: the canonical document and its detached signature (never parsed here).</summary>
public sealed record StoredCertificate(string DestructionId, int Revision, string Account, DateTimeOffset IssuedOn, byte[] Document, byte[] Signature);

/// <summary>
/// Destruction certificates (migration 9's <c>destruction_certificates</c>): every revision of
/// every destruction's certificate, kept after its account is destroyed (no reference to
/// <c>accounts</c>, so deleting the account's rows never takes them).
/// </summary>
public interface ICertificateStore
{
    /// <summary>
    /// Stores <paramref name="certificate"/> when its revision is the next of its destruction (1
    /// for the first) and appends <paramref name="audit"/> in the same savepoint. False (nothing
    /// written, nothing appended) when another revision took that number first.
    /// </summary>
    Task<bool> PutCertificateAsync(StoredCertificate certificate, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>The latest revision of each of the account's certificates, newest first, at most <paramref name="limit"/> (bounded by <see cref="Limits.CertificatesListMax"/>).</summary>
    Task<IReadOnlyList<StoredCertificate>> ListCertificatesAsync(string account, int limit, CancellationToken cancellationToken = default);

    /// <summary>One revision of a destruction's certificate (null: the latest), or null when there is none.</summary>
    Task<StoredCertificate?> GetCertificateAsync(string destructionId, int? revision = null, CancellationToken cancellationToken = default);
}
