using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.TestSupport;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>A temporary directory removed when the test ends.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("strongroom-storage-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>A fresh store in a temporary directory, with builders for records.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly IRandomSource random = new SeededRandomSource(1234);

    protected TempDirectory Temp { get; } = new();

    protected string DatabasePath => System.IO.Path.Combine(Temp.Path, "meta", "strongroom.db");

    protected SqlMetadataStore Store { get; set; } = null!;

    public virtual async Task InitializeAsync() => Store = await TestMetadata.OpenAsync(DatabasePath);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(DatabasePath);
        Temp.Dispose();
    }

    protected async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await TestMetadata.OpenAsync(DatabasePath);
    }

    protected static AccountRecord Account(string name) =>
        new(name, [1, 2, 3], [4, 5, 6], [7, 8, 9, 10], T0, AccountState.Enabled);

    protected static ContainerRecord Container(string account, string name, params (string Name, string Value)[] metadata) =>
        new(account, name, "\"c-etag\"", T0, T0.AddSeconds(1), metadata.Select(m => KeyValuePair.Create(m.Name, m.Value)).ToList());

    protected static BlobRecord Blob(string account, string container, string name, long length = 0, string eTag = "\"etag\"") =>
        new(account, container, name, BlobType.BlockBlob, length, eTag, T0, T0, BlobHttpHeaders.Empty, []);

    protected StoredObject NewObject(long length = 10, string site = "site-a") =>
        new(random.NewOpaqueId(), [new ObjectCopy(site, CopyState.Present)], [.. Encoding.ASCII.GetBytes("wrapped"), (byte)length], length);

    protected static BlobPart Part(int ordinal, StoredObject storedObject, string? blockId = null) => new(ordinal, blockId, storedObject);

    protected async Task CreateContainerAsync(string account = "acct", string container = "cont")
    {
        if (await Store.GetAccountAsync(account) is null)
        {
            await Store.CreateAccountAsync(Account(account));
        }

        await Store.CreateContainerAsync(Container(account, container));
    }

    /// <summary>A connection of its own to the SQLite file (tests of SQLite itself).</summary>
    protected SqliteConnection OpenSqliteConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>A connection of its own to the store's database (its PostgreSQL schema when the fixtures run there).</summary>
    protected System.Data.Common.DbConnection OpenRawConnection()
    {
        System.Data.Common.DbConnection connection = TestMetadata.UsesPostgres
            ? new Npgsql.NpgsqlConnection(TestMetadata.ConnectionString(DatabasePath))
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    protected static string[] Ids(IEnumerable<StoredObject> objects) => objects.Select(o => o.ObjectId).Order(StringComparer.Ordinal).ToArray();

    protected static void AssertSameObject(StoredObject expected, StoredObject actual)
    {
        Assert.Equal(expected.ObjectId, actual.ObjectId);
        Assert.Equal(expected.Copies, actual.Copies);
        Assert.Equal(expected.WrappedDataKey, actual.WrappedDataKey);
        Assert.Equal(expected.PlaintextLength, actual.PlaintextLength);
    }

    protected static int Utf8Compare(string? a, string? b) =>
        Encoding.UTF8.GetBytes(a!).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b!));
}

/// <summary>Most tests write every part's object in the same commit, as Put Blob does.</summary>
public static class CommitShorthand
{
    public static Task<IReadOnlyList<StoredObject>> CommitBlobAsync(this SqlMetadataStore store, BlobRecord blob, IReadOnlyList<BlobPart> parts, Action<BlobRecord?>? precondition = null, CancellationToken cancellationToken = default) =>
        store.CommitBlobAsync(blob, parts, parts.Select(part => part.Object).ToArray(), precondition, cancellationToken: cancellationToken);
}
