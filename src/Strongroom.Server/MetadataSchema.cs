using System.Data.Common;
using Strongroom.Storage;

namespace Strongroom.Server;

/// <summary>
/// The metadata schema of a deployment, for <c>strongroom migrate</c>: its version read without
/// migrating, and the migration to this build's version run ahead of starting servers (a server
/// also migrates when it starts). Layers above Server never see the store's types.
/// </summary>
public static class MetadataSchema
{
    /// <summary>The schema version this build reads and writes.</summary>
    public static int BuildVersion => SqlMetadataStore.SchemaVersion;

    /// <summary>
    /// The schema version of the deployment's metadata: 0 when the database has no Strongroom
    /// schema yet, null when the SQLite file does not exist. Creates nothing.
    /// </summary>
    public static async Task<int?> ReadVersionAsync(DataDirectory directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return directory.MetadataConnectionString is { } shared
            ? await SqlMetadataStore.ReadPostgresSchemaVersionAsync(shared, cancellationToken).ConfigureAwait(false)
            : await SqlMetadataStore.ReadSqliteSchemaVersionAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings the schema to <see cref="BuildVersion"/> (in one transaction, as a server's start
    /// does) and returns the version it had. A SQLite file that does not exist is not created
    /// (<see cref="MetadataSchemaException"/>); an empty PostgreSQL database gets the whole schema.
    /// </summary>
    /// <exception cref="MetadataSchemaException">Nothing to migrate, or the schema is newer than this build.</exception>
    public static async Task<int> MigrateAsync(DataDirectory directory, CancellationToken cancellationToken = default)
    {
        var version = await ReadVersionAsync(directory, cancellationToken).ConfigureAwait(false)
            ?? throw new MetadataSchemaException($"there is no metadata database at {directory.MetadataDatabasePath}: nothing to migrate (a server's first start or `strongroom init` creates it).");
        RequireNotNewer(directory, version);
        if (version == BuildVersion)
        {
            return version;
        }

        try
        {
            // Opening migrates; another process migrating at the same moment is serialised by the backend.
            IMetadataStore store = directory.MetadataConnectionString is { } shared
                ? await SqlMetadataStore.OpenPostgresAsync(shared, cancellationToken).ConfigureAwait(false)
                : await SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
        }
        catch (SchemaVersionException exception)
        {
            // A newer build migrated it between the read and the open.
            throw new MetadataSchemaException(exception.Message, exception);
        }

        return version;
    }

    /// <summary>Refuses a schema newer than this build, with the message opening the store gives.</summary>
    /// <exception cref="MetadataSchemaException"><paramref name="version"/> is above <see cref="BuildVersion"/>.</exception>
    public static void RequireNotNewer(DataDirectory directory, int version)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (version > BuildVersion)
        {
            var refusal = SqlMetadataStore.NewerSchema(directory.MetadataDescription, version, directory.HasSharedMetadata);
            throw new MetadataSchemaException(refusal.Message, refusal);
        }
    }

    /// <summary>
    /// Null when <paramref name="connectionString"/> is an Npgsql keyword string or a
    /// <c>postgresql://</c> URI; else a message saying why not, which never repeats it.
    /// </summary>
    public static string? CheckConnectionString(string connectionString) =>
        SqlMetadataStore.CheckPostgresConnectionString(connectionString);

    /// <summary>
    /// The one-line explanation of a failure to open or read the metadata database — a schema newer
    /// than this build, or a database error — or null for any other exception. Database messages
    /// name host, user and SQL state, never a password; the connection string is never part of them.
    /// </summary>
    public static string? Explain(Exception exception) => exception switch
    {
        MetadataSchemaException schema => schema.Message,
        SchemaVersionException newer => newer.Message,
        MetadataConnectionException connection => connection.Message,
        DbException database => $"the metadata database could not be used: {database.Message}",
        _ => null,
    };
}

/// <summary>The metadata schema cannot be used or migrated by this build (the message says why; it holds no secret).</summary>
public sealed class MetadataSchemaException(string message, Exception? innerException = null) : Exception(message, innerException);
