using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Blob service properties (issue 8; <see cref="IServicePropertiesStore"/>): one <see cref="ServicePropertiesDocument"/> row per account that set any.</summary>
public sealed partial class SqlMetadataStore : IServicePropertiesStore
{
    public Task<BlobServiceProperties?> GetBlobServicePropertiesAsync(string account, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadAccount(tx, account) is null ? null : ReadServiceProperties(tx, account), cancellationToken);

    public Task<(BlobServiceProperties Properties, DataProtectionSettings DataProtection)> SetBlobServicePropertiesAsync(
        string account,
        BlobServicePropertiesUpdate update,
        AuditAppend? audit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync(
            tx =>
            {
                var record = ReadAccount(tx, account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                var properties = update.ApplyTo(ReadServiceProperties(tx, account));
                tx.Execute(
                    "INSERT INTO blob_service_properties (account, format, document) VALUES (@account, @format, @document) " +
                    "ON CONFLICT (account) DO UPDATE SET format = excluded.format, document = excluded.document",
                    ("@account", account),
                    ("@format", ServicePropertiesDocument.Format),
                    ("@document", ServicePropertiesDocument.Write(properties)));
                var protection = record.DataProtection;
                if (update.DeleteRetentionPolicy is { } retention)
                {
                    protection = protection with { BlobSoftDeleteDays = retention.Days, AllowPermanentDelete = retention.AllowPermanentDelete };
                    if (!DataProtectionSettings.IsValidRetentionDays(protection.BlobSoftDeleteDays))
                    {
                        throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A soft-delete retention is {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax} days.");
                    }

                    WriteDataProtection(tx, account, protection);
                }

                return (properties, protection);
            },
            audit,
            cancellationToken);
    }

    private static BlobServiceProperties ReadServiceProperties(Transaction tx, string account)
    {
        using var reader = tx.Query("SELECT format, document FROM blob_service_properties WHERE account = @account", ("@account", account));
        return reader.Read() ? ServicePropertiesDocument.Read(reader.GetInt32(0), reader.GetString(1)) : BlobServiceProperties.Default;
    }
}
