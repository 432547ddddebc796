using System.Globalization;
using System.Text;
using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Tamper evidence end to end: a production server, an account written to through the Azure SDK,
/// `strongroom audit verify --server` (a separate process, as the tenant, over HTTPS) pinning the
/// log, then metadata.db edited behind the running server's back the way an operator with the file
/// could (the append-only triggers dropped first). Each case must be reported with the exact index
/// where the log stops being what the tenant saw.
/// </summary>
public sealed class AuditVerifyTests
{
    /// <summary>Why the tampering tests run only in the default mode.</summary>
    const string TamperReason = "the fixture reads and tampers with the audit tables in the data directory's metadata.db (SQLite) behind the server; the log verifier's detection is independent of the store, and PostgreSQL's copy of the tables is tested by the store's own suites";

    const string Account = "tamperacct";

    [Fact]
    public async Task An_untouched_log_verifies_and_stays_consistent_as_it_grows()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-untouched");
        var first = await log.VerifyAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"verified {log.Size} entries (0 pruned) up to checkpoint size {log.Size} root ", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("out of band", first.StandardOutput + first.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Key, first.StandardOutput + first.StandardError, StringComparison.Ordinal);

        var pinnedSize = log.Size;
        await log.WriteBlobsAsync("later", 2);
        var second = await log.VerifyAsync();
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"consistent with the checkpoint seen last time (size {pinnedSize})", second.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_and_export_read_the_log_as_the_tenant()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-tail");
        var before = log.Size;
        var tail = await log.RunAsTenantAsync("tail", "-n", "3");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        var lines = tail.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches($@"^#{before - 2} \S+ shared-key:key1 PutBlob /{Account}/reports/report-extra Success$", lines[0]);
        Assert.Matches($@"^#{before - 1} \S+ shared-key:key1 DeleteBlob /{Account}/reports/report-extra Success$", lines[1]);

        // Reading the log as the tenant starts with a token request, itself logged (and signed into the checkpoint served).
        Assert.Matches($@"^#{before} \S+ \S+ \S*IssueToken \S+ Success$", lines[2]);

        var export = await log.RunAsTenantAsync("export", "--from", "1");
        Assert.True(export.ExitCode == 0, export.ToString());
        var records = export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(log.Size - 1, records.Length);
        using var first = System.Text.Json.JsonDocument.Parse(records[0]);
        Assert.Equal(1, first.RootElement.GetProperty("index").GetInt64());
        Assert.Equal(MerkleTree.LeafHash(log.Body(1)), first.RootElement.GetProperty("leafHash").GetBytesFromBase64());
        Assert.Equal(Encoding.UTF8.GetString(log.Body(1)), first.RootElement.GetProperty("entry").GetRawText());
        Assert.DoesNotContain(log.Key, tail.StandardOutput + tail.StandardError + export.StandardOutput + export.StandardError, StringComparison.Ordinal);

        var wrongKey = await log.Server.RunCommandAsync(
            null,
            new Dictionary<string, string> { ["STRONGROOM_ACCOUNT_KEY"] = Convert.ToBase64String(new byte[64]) },
            ["audit", "tail", "--server", log.Server.Endpoint.ToString(), "--account", Account, "--ca-cert", log.Server.CertificatePath]);
        Assert.True(wrongKey.ExitCode == 1, wrongKey.ToString());
        Assert.Contains("did not accept the key", wrongKey.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_key_that_is_not_the_servers_fails()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-wrongkey");
        var key = await log.Server.RunCliAsync("audit", "key", "--account", Account);
        Assert.True(key.ExitCode == 0, key.ToString());
        var right = NoteVerifierKey.Parse(key.StandardOutput.Trim());

        // The same name, another Ed25519 key (so another key id): the checkpoint is not signed by it.
        var other = (byte[])right.PublicKey.Clone();
        other[0] ^= 0x01;
        var wrong = NoteVerifierKey.ForEd25519(right.Name, other).ToString();
        var refused = await log.VerifyAsync("--public-key", wrong);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("UnknownKey", refused.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("verified", refused.StandardOutput, StringComparison.Ordinal);

        // A failed first verification pins nothing: the right key still can be pinned, and then no other.
        var pinned = await log.VerifyAsync("--public-key", right.ToString());
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        var changed = await log.VerifyAsync("--public-key", wrong);
        Assert.True(changed.ExitCode == 1, changed.ToString());
        Assert.Contains("UnknownKey", changed.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_entry_is_reported_at_its_index()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-edit");
        await log.PinAsync();
        var index = log.IndexOf("/report-1");

        log.Tamper((db, _) => db.Execute("UPDATE audit_entries SET body = @body WHERE log = @log AND idx = @idx", ("@body", Replace(log.Body(index), "report-1", "report-9")), ("@log", Account), ("@idx", index)));

        await log.AssertVerifyFailsAsync("EntryMismatch", index);
    }

    [Fact]
    public async Task A_deleted_entry_is_reported_at_its_index()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-delete");
        await log.PinAsync();
        var index = log.IndexOf("/report-1");

        log.Tamper((db, _) => db.Execute("DELETE FROM audit_entries WHERE log = @log AND idx = @idx", ("@log", Account), ("@idx", index)));

        await log.AssertVerifyFailsAsync("MissingEntry", index);
    }

    [Fact]
    public async Task Two_swapped_entries_are_reported_at_the_first()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-swap");
        await log.PinAsync();
        var first = log.IndexOf("/report-0");
        var second = log.IndexOf("/report-2");
        var a = log.Body(first);
        var b = log.Body(second);

        log.Tamper((db, _) =>
        {
            db.Execute("UPDATE audit_entries SET body = @body WHERE log = @log AND idx = @idx", ("@body", b), ("@log", Account), ("@idx", first));
            db.Execute("UPDATE audit_entries SET body = @body WHERE log = @log AND idx = @idx", ("@body", a), ("@log", Account), ("@idx", second));
        });

        await log.AssertVerifyFailsAsync("EntryMismatch", Math.Min(first, second));
    }

    [Fact]
    public async Task A_substituted_entry_with_recomputed_hashes_and_a_new_checkpoint_is_inconsistent_at_its_index()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-substitute");
        await log.PinAsync();
        var index = log.IndexOf("/report-1");
        var substitute = Replace(log.Body(index), "report-1", "report-7");

        // A self-consistent rewritten tree: the entry, its leaf hash and every stored hash above it,
        // and no checkpoint left, so the server signs one over the rewritten tree when asked (it
        // keeps no tree state in memory: everything is read from the store).
        log.Tamper((db, size) =>
        {
            db.Execute("UPDATE audit_entries SET body = @body WHERE log = @log AND idx = @idx", ("@body", substitute), ("@log", Account), ("@idx", index));
            RewriteLeaf(db, index, MerkleTree.LeafHash(substitute));
            db.Execute("DELETE FROM audit_checkpoints WHERE log = @log", ("@log", Account));
        });

        await log.AssertVerifyFailsAsync("Inconsistent", index);
    }

    [Fact]
    public async Task A_forked_tree_served_after_pinning_is_inconsistent_where_it_forks()
    {
        if (!TestModes.SingleProcessOnly(TamperReason))
        {
            return;
        }

        await using var log = await AuditedAccount.StartAsync("audit-fork");
        await log.PinAsync();
        var pinned = log.Size;
        var fork = log.IndexOf("/report-1");

        // Cut the log back to the fork point (entries, every stored hash covering a leaf past it,
        // checkpoints), and let the running server grow another history past the pinned size.
        log.Tamper((db, _) =>
        {
            db.Execute("DELETE FROM audit_entries WHERE log = @log AND idx >= @fork", ("@log", Account), ("@fork", fork));
            db.Execute("DELETE FROM audit_hashes WHERE log = @log AND ((idx + 1) << level) > @fork", ("@log", Account), ("@fork", fork));
            db.Execute("DELETE FROM audit_checkpoints WHERE log = @log", ("@log", Account));
            db.Execute("UPDATE audit_logs SET size = @fork WHERE log = @log", ("@log", Account), ("@fork", fork));
        });
        Assert.Equal(fork, log.Size);
        await log.WriteBlobsAsync("fork", pinned - fork + 2);
        Assert.True(log.Size > pinned, $"the forked log ({log.Size}) must outgrow the pinned one ({pinned})");

        await log.AssertVerifyFailsAsync("Inconsistent", fork);
    }

    static byte[] Replace(byte[] body, string from, string to)
    {
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains(from, text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }

    /// <summary>Sets leaf <paramref name="index"/>'s hash and recomputes every stored (complete) subtree hash above it.</summary>
    static void RewriteLeaf(SqliteConnection db, long index, byte[] leafHash)
    {
        db.Execute("UPDATE audit_hashes SET hash = @hash WHERE log = @log AND level = 0 AND idx = @idx", ("@hash", leafHash), ("@log", Account), ("@idx", index));
        for (var level = 1; level < 63; level++)
        {
            var node = index >> level;
            var left = db.ReadHash(Account, level - 1, node * 2);
            var right = db.ReadHash(Account, level - 1, (node * 2) + 1);
            if (left is null || right is null || db.ReadHash(Account, level, node) is null)
            {
                return;
            }

            db.Execute("UPDATE audit_hashes SET hash = @hash WHERE log = @log AND level = @level AND idx = @idx", ("@hash", MerkleTree.NodeHash(left, right)), ("@log", Account), ("@level", level), ("@idx", node));
        }
    }

    /// <summary>A production server with one account, a few blob writes and deletes, and a verifier state directory.</summary>
    sealed class AuditedAccount : IAsyncDisposable
    {
        AuditedAccount(StrongroomProcess server, string key, string stateDirectory)
        {
            Server = server;
            Key = key;
            StateDirectory = stateDirectory;
        }

        public StrongroomProcess Server { get; }

        public string Key { get; }

        public string StateDirectory { get; }

        string DatabasePath => Path.Combine(Server.DataDirectory, "metadata.db");

        /// <summary>The log's size as stored.</summary>
        public long Size
        {
            get
            {
                using var db = Open();
                return db.Scalar("SELECT size FROM audit_logs WHERE log = @log", ("@log", Account)) is long size ? size : 0;
            }
        }

        public static async Task<AuditedAccount> StartAsync(string label)
        {
            var server = await StrongroomProcess.StartProductionAsync(label);
            try
            {
                var (key, _) = await server.CreateAccountAsync(Account);
                var state = Path.Combine(server.DataDirectory + "-verifier");
                var account = new AuditedAccount(server, key, state);
                await account.WriteBlobsAsync("report", 3);
                var client = server.ServiceClient(Account, key).GetBlobContainerClient("reports");
                await client.GetBlobClient("report-extra").UploadAsync(BinaryData.FromString("to delete"));
                await client.GetBlobClient("report-extra").DeleteAsync();
                return account;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        /// <summary>Uploads <paramref name="count"/> blobs STEM-0… into container "reports" (created on first use).</summary>
        public async Task WriteBlobsAsync(string stem, long count)
        {
            var container = Server.ServiceClient(Account, Key).GetBlobContainerClient("reports");
            await container.CreateIfNotExistsAsync();
            for (var i = 0; i < count; i++)
            {
                await container.GetBlobClient($"{stem}-{i}").UploadAsync(BinaryData.FromString($"{stem} {i}"), overwrite: true);
            }
        }

        /// <summary><c>strongroom audit COMMAND --server … --account …</c> as a separate process, the key in the environment only.</summary>
        public Task<CliResult> RunAsTenantAsync(string command, params string[] extra) =>
            Server.RunCommandAsync(
                null,
                new Dictionary<string, string> { ["STRONGROOM_ACCOUNT_KEY"] = Key },
                ["audit", command, "--server", Server.Endpoint.ToString(), "--account", Account, "--ca-cert", Server.CertificatePath, .. extra]);

        /// <summary><c>strongroom audit verify --server … --account …</c> as a separate process, the key in the environment only.</summary>
        public Task<CliResult> VerifyAsync(params string[] extra) =>
            Server.RunCommandAsync(
                null,
                new Dictionary<string, string> { ["STRONGROOM_ACCOUNT_KEY"] = Key },
                ["audit", "verify", "--server", Server.Endpoint.ToString(), "--account", Account, "--ca-cert", Server.CertificatePath, "--state-dir", StateDirectory, .. extra]);

        public async Task PinAsync()
        {
            var pinned = await VerifyAsync();
            Assert.True(pinned.ExitCode == 0, pinned.ToString());
        }

        public async Task AssertVerifyFailsAsync(string kind, long index)
        {
            var result = await VerifyAsync();
            var text = result.StandardOutput + result.StandardError;
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains(kind, text, StringComparison.Ordinal);
            Assert.Contains($"first differing index: {index.ToString(CultureInfo.InvariantCulture)}", text, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        }

        /// <summary>The index of the entry whose resource ends with <paramref name="resourceSuffix"/> (the PutBlob of that blob).</summary>
        public long IndexOf(string resourceSuffix)
        {
            using var db = Open();
            using var command = db.CreateCommand();
            command.CommandText = "SELECT idx, body FROM audit_entries WHERE log = @log ORDER BY idx";
            command.Parameters.AddWithValue("@log", Account);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var body = Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(1));
                if (body.Contains($"\"resource\":\"/{Account}/reports{resourceSuffix}\"", StringComparison.Ordinal))
                {
                    return reader.GetInt64(0);
                }
            }

            throw new InvalidOperationException($"no entry for {resourceSuffix} in the log of {Account}");
        }

        public byte[] Body(long index)
        {
            using var db = Open();
            return (byte[])db.Scalar("SELECT body FROM audit_entries WHERE log = @log AND idx = @idx", ("@log", Account), ("@idx", index))!;
        }

        /// <summary>Edits metadata.db behind the running server: the audit triggers dropped, then <paramref name="edit"/> in one transaction.</summary>
        public void Tamper(Action<SqliteConnection, long> edit)
        {
            var size = Size;
            using var db = Open();
            var triggers = new List<string>();
            using (var command = db.CreateCommand())
            {
                command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit%'";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    triggers.Add(reader.GetString(0));
                }
            }

            using var transaction = db.BeginTransaction();
            foreach (var trigger in triggers)
            {
                db.Execute($"DROP TRIGGER \"{trigger}\"");
            }

            edit(db, size);
            transaction.Commit();
        }

        SqliteConnection Open()
        {
            var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, DefaultTimeout = 30 }.ToString());
            db.Open();
            db.Execute("PRAGMA busy_timeout = 30000");
            return db;
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            if (Directory.Exists(StateDirectory))
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
        }
    }
}

static class SqliteTamper
{
    public static void Execute(this SqliteConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    public static object? Scalar(this SqliteConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = command.ExecuteScalar();
        return result is DBNull ? null : result;
    }

    public static byte[]? ReadHash(this SqliteConnection db, string log, int level, long index) =>
        db.Scalar("SELECT hash FROM audit_hashes WHERE log = @log AND level = @level AND idx = @idx", ("@log", log), ("@level", level), ("@idx", index)) as byte[];
}
