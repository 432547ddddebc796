using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Destruction certificates (migration 9; see <see cref="ICertificateStore"/>).</summary>
public sealed partial class SqlMetadataStore : ICertificateStore
{
    private const string CertificateColumns = "destruction_id, revision, account, issued_on, document, signature";

    public async Task<bool> PutCertificateAsync(StoredCertificate certificate, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(certificate.DestructionId);
        ArgumentException.ThrowIfNullOrEmpty(certificate.Account);
        ArgumentOutOfRangeException.ThrowIfLessThan(certificate.Revision, 1);
        if (certificate.Document is not { Length: > 0 } || certificate.Signature is not { Length: > 0 })
        {
            throw new ArgumentException("A certificate has its document and its signature.", nameof(certificate));
        }

        // A null result writes nothing and appends nothing (see WriteAsync with an audit entry).
        var stored = await WriteAsync<bool?>(
            tx =>
            {
                var latest = tx.Scalar("SELECT MAX(revision) FROM destruction_certificates WHERE destruction_id = @id", ("@id", certificate.DestructionId));
                var next = latest is long value ? value + 1 : 1;
                if (certificate.Revision != next)
                {
                    return null;
                }

                // Never beyond what the destruction owes: an issuer working from a stale list of owed
                // certificates (another server issued this one meanwhile) must not add a revision
                // for a state that already has one, which would also swallow the next one owed.
                if (tx.Scalar("SELECT revisions_due FROM destructions WHERE id = @id", ("@id", certificate.DestructionId)) is long due && certificate.Revision > due)
                {
                    return null;
                }

                tx.Execute(
                    $"INSERT INTO destruction_certificates ({CertificateColumns}) VALUES (@id, @revision, @account, @issued_on, @document, @signature)",
                    ("@id", certificate.DestructionId),
                    ("@revision", (long)certificate.Revision),
                    ("@account", certificate.Account),
                    ("@issued_on", ToTicks(certificate.IssuedOn)),
                    ("@document", certificate.Document),
                    ("@signature", certificate.Signature));
                return true;
            },
            audit,
            cancellationToken).ConfigureAwait(false);
        return stored is true;
    }

    public Task<IReadOnlyList<StoredCertificate>> ListCertificatesAsync(string account, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<StoredCertificate>>(
            tx => ReadCertificates(
                tx,
                $"SELECT {CertificateColumns} FROM destruction_certificates AS c WHERE account = @account " +
                "AND revision = (SELECT MAX(revision) FROM destruction_certificates WHERE destruction_id = c.destruction_id) " +
                "ORDER BY issued_on DESC, destruction_id DESC LIMIT @take",
                ("@account", account),
                ("@take", (long)Math.Min(limit, Limits.CertificatesListMax))),
            cancellationToken);
    }

    public Task<StoredCertificate?> GetCertificateAsync(string destructionId, int? revision = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destructionId);
        return ReadAsync(
            tx => (revision is { } number
                ? ReadCertificates(tx, $"SELECT {CertificateColumns} FROM destruction_certificates WHERE destruction_id = @id AND revision = @revision", ("@id", destructionId), ("@revision", (long)number))
                : ReadCertificates(tx, $"SELECT {CertificateColumns} FROM destruction_certificates WHERE destruction_id = @id ORDER BY revision DESC LIMIT 1", ("@id", destructionId)))
                is [var certificate] ? certificate : null,
            cancellationToken);
    }

    private static List<StoredCertificate> ReadCertificates(Transaction tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var certificates = new List<StoredCertificate>();
        using var reader = tx.Query(sql, parameters);
        while (reader.Read())
        {
            certificates.Add(new StoredCertificate(
                reader.GetString(0),
                checked((int)reader.GetInt64(1)),
                reader.GetString(2),
                FromTicks(reader.GetInt64(3)),
                reader.GetFieldValue<byte[]>(4),
                reader.GetFieldValue<byte[]>(5)));
        }

        return certificates;
    }
}
