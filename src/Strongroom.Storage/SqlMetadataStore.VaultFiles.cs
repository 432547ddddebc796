namespace Strongroom.Storage;

/// <summary>The vault's files in <c>vault_files</c> (<see cref="IVaultFileStore"/>, migration 21).</summary>
public sealed partial class SqlMetadataStore : IVaultFileStore
{
    public Task<(byte[] Content, long Generation)?> ReadVaultFileAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(tx => ReadVaultFile(tx, name), cancellationToken);
    }

    public Task<long?> ReadVaultFileGenerationAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(
            tx => tx.Scalar("SELECT generation FROM vault_files WHERE name = @name", ("@name", name)) is { } value and not DBNull
                ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)
                : (long?)null,
            cancellationToken);
    }

    public Task<bool> CreateVaultFilesAsync(IReadOnlyList<KeyValuePair<string, byte[]>> files, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentOutOfRangeException.ThrowIfZero(files.Count);
        return WriteAsync(
            tx =>
            {
                if (files.Any(file => ReadVaultFile(tx, file.Key) is not null))
                {
                    return false;
                }

                foreach (var (name, content) in files)
                {
                    tx.Execute(
                        "INSERT INTO vault_files (name, content, generation, updated_on) VALUES (@name, @content, 1, @updated_on)",
                        ("@name", name),
                        ("@content", content),
                        ("@updated_on", now.UtcTicks));
                }

                return true;
            },
            cancellationToken);
    }

    public Task<long> UpdateVaultFileAsync(string name, Func<byte[]?, byte[]> update, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync(
            tx =>
            {
                var current = ReadVaultFile(tx, name);
                var replacement = update(current?.Content);
                var generation = (current?.Generation ?? 0) + 1;
                tx.Execute(
                    "INSERT INTO vault_files (name, content, generation, updated_on) VALUES (@name, @content, @generation, @updated_on) " +
                    "ON CONFLICT (name) DO UPDATE SET content = excluded.content, generation = excluded.generation, updated_on = excluded.updated_on",
                    ("@name", name),
                    ("@content", replacement),
                    ("@generation", generation),
                    ("@updated_on", now.UtcTicks));
                return generation;
            },
            cancellationToken);
    }

    public Task DeleteVaultFilesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        return WriteAsync(
            tx =>
            {
                foreach (var name in names)
                {
                    tx.Execute("DELETE FROM vault_files WHERE name = @name", ("@name", name));
                }

                return 0;
            },
            cancellationToken);
    }

    private static (byte[] Content, long Generation)? ReadVaultFile(Transaction tx, string name)
    {
        using var reader = tx.Query("SELECT content, generation FROM vault_files WHERE name = @name", ("@name", name));
        return reader.Read() ? (reader.GetFieldValue<byte[]>(0), reader.GetInt64(1)) : null;
    }
}
