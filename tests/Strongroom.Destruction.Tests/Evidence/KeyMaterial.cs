using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>An account key-encryption key as stored (account_keks).</summary>
public sealed record StoredKek(string Account, uint Version, byte[] Wrapped);

/// <summary>An encryption scope's key-encryption key as stored (encryption_scopes).</summary>
public sealed record StoredScopeKek(string Account, string Scope, EncryptionScopeKeySource Source, byte[] Wrapped);

/// <summary>An object's wrapped data key as stored (objects).</summary>
public sealed record StoredDataKey(string ObjectId, byte[] Wrapped, long PlaintextLength, string? Scope, bool CustomerProvided);

/// <summary>A name under which an object was referenced: what its binding digest is computed from.</summary>
public sealed record ObjectContext(string Account, string Container, string Blob, string ObjectId, CipherSuite Suite)
{
    /// <summary>
    /// The binding digests an attacker who knows the names would try: the container as stored and,
    /// for a soft-deleted container's internal name <c>name!version</c>, the name it had.
    /// </summary>
    public IEnumerable<byte[]> Bindings(string objectId)
    {
        yield return ObjectBinding.Digest(Suite, Account, Container, Blob, objectId);
        var bang = Container.IndexOf('!', StringComparison.Ordinal);
        if (bang > 0)
        {
            yield return ObjectBinding.Digest(Suite, Account, Container[..bang], Blob, objectId);
        }
    }
}

/// <summary>
/// Every key and wrapped key one metadata database holds, read straight from its tables (as
/// anyone holding the file could), plus what the vault unwraps them to while it is unsealed.
/// </summary>
public sealed class KeyMaterial
{
    public required IReadOnlyList<StoredKek> Keks { get; init; }

    public required IReadOnlyList<StoredScopeKek> ScopeKeks { get; init; }

    public required IReadOnlyList<StoredDataKey> DataKeys { get; init; }

    public required IReadOnlyList<ObjectContext> Contexts { get; init; }

    /// <summary>Shared keys (accounts.wrapped_key1/2), by account.</summary>
    public required IReadOnlyList<(string Account, byte[] Wrapped)> SharedKeys { get; init; }

    /// <summary>The tenants' vault values (vault_item_versions: customer-managed keys, secrets), by account.</summary>
    public required IReadOnlyList<(string Account, byte[] Wrapped)> VaultValues { get; init; }

    /// <summary>Plaintext account KEKs, by (account, version): filled by <see cref="Unwrap"/>.</summary>
    public Dictionary<(string Account, uint Version), byte[]> PlainKeks { get; } = [];

    /// <summary>Plaintext platform scope KEKs, by (account, scope): filled by <see cref="Unwrap"/>.</summary>
    public Dictionary<(string Account, string Scope), byte[]> PlainScopeKeks { get; } = [];

    /// <summary>Plaintext data keys, by object id: filled by <see cref="Unwrap"/>.</summary>
    public Dictionary<string, byte[]> PlainDataKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads every key-bearing table of <paramref name="databasePath"/> (read-only, beside a running server).</summary>
    public static KeyMaterial Read(string databasePath)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var suites = Rows(connection, "SELECT name, cipher_suite FROM accounts", r => (r.GetString(0), (CipherSuite)r.GetInt32(1)))
            .ToDictionary(row => row.Item1, row => row.Item2, StringComparer.Ordinal);
        var contexts = new List<ObjectContext>();
        foreach (var sql in new[]
        {
            "SELECT account, container, blob, object_id FROM blob_parts",
            "SELECT account, container, blob, object_id FROM blob_instance_parts",
            "SELECT account, container, blob, object_id FROM uncommitted_blocks",
        })
        {
            contexts.AddRange(Rows(connection, sql, r => new ObjectContext(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                suites.TryGetValue(r.GetString(0), out var suite) ? suite : CipherSuite.Aes256Gcm)));
        }

        return new KeyMaterial
        {
            Keks = Rows(connection, "SELECT account, version, wrapped_kek FROM account_keks", r => new StoredKek(r.GetString(0), (uint)r.GetInt64(1), (byte[])r[2])),
            ScopeKeks = Rows(connection, "SELECT account, name, key_source, wrapped_kek FROM encryption_scopes", r => new StoredScopeKek(r.GetString(0), r.GetString(1), (EncryptionScopeKeySource)r.GetInt32(2), (byte[])r[3])),
            DataKeys = Rows(connection, "SELECT object_id, wrapped_key, plaintext_length, encryption_scope, customer_key_sha256 FROM objects", r => new StoredDataKey(r.GetString(0), (byte[])r[1], r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3), !r.IsDBNull(4))),
            Contexts = contexts,
            SharedKeys = [.. Rows(connection, "SELECT name, wrapped_key1, wrapped_key2 FROM accounts", r => (r.GetString(0), (byte[])r[1], (byte[])r[2]))
                .SelectMany(row => new[] { (row.Item1, row.Item2), (row.Item1, row.Item3) })],
            VaultValues = Rows(connection, "SELECT account, wrapped_value FROM vault_item_versions", r => (r.GetString(0), (byte[])r[1])),
        };
    }

    /// <summary>
    /// Unwraps what the keyring still opens: every account KEK, every platform scope KEK and, for
    /// each data key, the key under the KEK that wraps it with each binding its contexts give
    /// (<paramref name="contexts"/>: also contexts captured earlier, when names have gone since).
    /// Keys that do not unwrap are left out: after a destruction that is the point.
    /// </summary>
    public KeyMaterial Unwrap(SealState vault, IEnumerable<ObjectContext>? contexts = null)
    {
        var keys = new TenantKeys(vault, new SeededRandomSource(7));
        foreach (var kek in Keks)
        {
            // TenantKeys' private binding of an account KEK (version 1 keeps slot 0): "account-kek\n{account}\n{slot}".
            var slot = kek.Version == AccountKeyEncryptionKey.FirstVersion ? 0 : checked((int)kek.Version);
            var associatedData = Encoding.UTF8.GetBytes($"account-kek\n{kek.Account}\n{slot}");
            if (TryUnwrap(() => UnwrapUnderKeyring(vault, kek.Wrapped, associatedData)) is { } plain)
            {
                PlainKeks[(kek.Account, kek.Version)] = plain;
            }
        }

        foreach (var scope in ScopeKeks.Where(scope => scope.Source == EncryptionScopeKeySource.Platform))
        {
            if (TryUnwrap(() => keys.UnwrapPlatformScopeKey(scope.Account, scope.Scope, scope.Wrapped)) is { } plain)
            {
                PlainScopeKeks[(scope.Account, scope.Scope)] = plain;
            }
        }

        var byObject = Contexts.Concat(contexts ?? []).ToLookup(context => context.ObjectId, StringComparer.Ordinal);
        foreach (var dataKey in DataKeys.Where(key => !key.CustomerProvided))
        {
            foreach (var context in byObject[dataKey.ObjectId])
            {
                var kek = dataKey.Scope is { } scope
                    ? PlainScopeKeks.GetValueOrDefault((context.Account, scope))
                    : PlainKeks.GetValueOrDefault((context.Account, KeyWrap.WrappingKeyVersion(dataKey.Wrapped)));
                if (kek is null)
                {
                    continue;
                }

                foreach (var binding in context.Bindings(dataKey.ObjectId))
                {
                    if (TryUnwrap(() => KeyWrap.Unwrap(kek, dataKey.Wrapped, binding)) is { } plain)
                    {
                        PlainDataKeys[dataKey.ObjectId] = plain;
                    }
                }
            }
        }

        return this;
    }

    /// <summary>The KEKs a reader could use now: account KEKs and platform scope KEKs.</summary>
    public IEnumerable<byte[]> AllPlainKeks => PlainKeks.Values.Concat(PlainScopeKeks.Values);

    /// <summary>
    /// Needles for everything key-like of <paramref name="account"/> this snapshot holds: its
    /// wrapped KEKs and scope KEKs and the plaintext ones unwrapped from them, and every data key of
    /// its objects (<see cref="DataKeyNeedles"/>).
    /// </summary>
    public IEnumerable<Needle> AccountNeedles(string account)
    {
        foreach (var kek in Keks.Where(kek => kek.Account == account))
        {
            foreach (var needle in Wrapped($"wrapped KEK {kek.Account}/v{kek.Version}", kek.Wrapped))
            {
                yield return needle;
            }

            if (PlainKeks.TryGetValue((kek.Account, kek.Version), out var plain))
            {
                yield return new Needle($"plaintext KEK {kek.Account}/v{kek.Version}", plain);
            }
        }

        foreach (var scope in ScopeKeks.Where(scope => scope.Account == account))
        {
            foreach (var needle in Wrapped($"wrapped scope KEK {scope.Account}/{scope.Scope}", scope.Wrapped))
            {
                yield return needle;
            }

            if (PlainScopeKeks.TryGetValue((scope.Account, scope.Scope), out var plain))
            {
                yield return new Needle($"plaintext scope KEK {scope.Account}/{scope.Scope}", plain);
            }
        }

        foreach (var needle in DataKeyNeedles(ObjectsOf(account)))
        {
            yield return needle;
        }
    }

    /// <summary>The wrapped data keys of <paramref name="objectIds"/> (whole, and the 32-byte encrypted key inside) and their plaintext.</summary>
    public IEnumerable<Needle> DataKeyNeedles(IReadOnlySet<string> objectIds)
    {
        foreach (var dataKey in DataKeys.Where(key => objectIds.Contains(key.ObjectId)))
        {
            foreach (var needle in Wrapped($"wrapped data key of {dataKey.ObjectId}", dataKey.Wrapped))
            {
                yield return needle;
            }

            if (PlainDataKeys.TryGetValue(dataKey.ObjectId, out var plain))
            {
                yield return new Needle($"plaintext data key of {dataKey.ObjectId}", plain);
            }
        }
    }

    /// <summary>The object ids of <paramref name="account"/>'s contexts (optionally one container or blob).</summary>
    public IReadOnlySet<string> ObjectsOf(string account, string? container = null, string? blob = null) =>
        Contexts.Where(context => context.Account == account
                && (container is null || context.Container == container || context.Container.StartsWith(container + "!", StringComparison.Ordinal))
                && (blob is null || context.Blob == blob))
            .Select(context => context.ObjectId)
            .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<Needle> Wrapped(string label, byte[] wrapped)
    {
        yield return new Needle(label, wrapped);

        // The encrypted key inside the wrap (after version, key version and nonce): a remnant of the
        // row that lost its header still matches it.
        var body = KeyWrap.OverheadBytes - 16;
        if (wrapped.Length >= body + 32)
        {
            yield return new Needle(label + " (encrypted body)", wrapped[body..(body + 32)]);
        }
    }

    private static byte[] UnwrapUnderKeyring(SealState vault, byte[] wrapped, byte[] associatedData)
    {
        using var lease = vault.AcquireKeyring();
        return lease.Keyring.Unwrap(wrapped, associatedData);
    }

    private static byte[]? TryUnwrap(Func<byte[]> unwrap)
    {
        try
        {
            return unwrap();
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.IntegrityCheckFailed)
        {
            return null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static List<T> Rows<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> map)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
