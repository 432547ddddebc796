using System.Data.Common;

namespace Strongroom.Storage;

/// <summary>
/// The database under a <see cref="SqlMetadataStore"/>: SQLite (one file, one server) or
/// PostgreSQL (one database, many servers). The store's SQL is shared; a backend answers only what
/// differs — how a connection opens, how a read and a write transaction begin, how the schema is
/// migrated, and what happens after a commit that erased wrapped keys.
///
/// The store's guarantee is the same on both: a write transaction runs alone among the writes of
/// every process on the same database (SQLite: BEGIN IMMEDIATE takes the file's write lock;
/// PostgreSQL: READ COMMITTED plus one transaction-scoped advisory lock per deployment, so each
/// statement sees every write committed before the lock was granted), and a read sees one snapshot.
/// </summary>
internal abstract class SqlBackend
{
    /// <summary>What the store is on, for messages: the file's path, or host, port and database (never a password).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The dialect: the few statements that cannot be one text on both databases. Parameter
    /// @table; one row per column, its name, in the table's column order.
    /// </summary>
    public abstract string ColumnNamesSql { get; }

    /// <summary>An open connection, ready for this backend's statements (pragmas set, and so on).</summary>
    public abstract DbConnection OpenConnection();

    /// <summary>A transaction that sees one snapshot and writes nothing.</summary>
    public abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>A transaction that runs alone among every process's writes to this database (see the class summary).</summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>
    /// Called under the store's write lock after commits that erased wrapped keys, before those
    /// writes are acknowledged; returns true when nothing of the erased keys is left in the
    /// database's own log (SQLite: a truncating checkpoint of the WAL). Throws DbException when it
    /// could not run (the writes are released anyway and it is tried again later).
    /// </summary>
    public abstract bool ScrubErasedKeys(DbConnection connection);

    /// <summary>Brings the schema to <paramref name="targetVersion"/> in one transaction; SchemaVersionException when it is newer than this build.</summary>
    public abstract void Migrate(DbConnection connection, int targetVersion);

    /// <summary>Closes the pooled connections (on dispose, and after a failed open).</summary>
    public abstract void ClearPool();
}
