using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The transparency log as the real server fills it, driven by the Azure SDK: each entry names
/// the request it came from (x-ms-request-id), the client's address and the account key that
/// signed; a refused signature is recorded as an anonymous authentication failure. The entries
/// are read from the data directory's store (the tenant endpoints are tested elsewhere).
/// </summary>
public sealed class AuditWiringTests : IAsyncLifetime
{
    private StrongroomProcess server = null!;

    public async Task InitializeAsync() => server = await StrongroomProcess.StartNewAsync("audit-wiring");

    public async Task DisposeAsync() => await server.DisposeAsync();

    private IReadOnlyList<AuditEntry> Entries(string log) => StoredLog.Entries(server, log);

    private static string RequestId(Response response) =>
        response.Headers.TryGetValue("x-ms-request-id", out var id) ? id! : throw new InvalidOperationException("no x-ms-request-id");

    [Fact]
    public async Task Requests_are_recorded_with_their_request_id_client_and_key()
    {
        const string Account = StrongroomProcess.DevAccountName;
        var service = new BlobServiceClient(server.ServiceUri, new StorageSharedKeyCredential(Account, StrongroomProcess.DevAccountKey), Clients.Options());
        var container = service.GetBlobContainerClient(TestNames.Container("audit"));
        var created = await container.CreateAsync();
        var uploaded = await container.GetBlobClient("b1").UploadAsync(BinaryData.FromString("recorded"));

        var wrongKey = Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        var intruder = new BlobServiceClient(server.ServiceUri, new StorageSharedKeyCredential(Account, wrongKey), Clients.Options());
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => intruder.GetBlobContainerClient(container.Name).GetPropertiesAsync());
        Assert.Equal(403, refused.Status);

        var entries = Entries(Account);
        var create = Assert.Single(entries, entry => entry.RequestId == RequestId(created.GetRawResponse()));
        Assert.Equal(nameof(BlobOperation.CreateContainer), create.Action);
        Assert.Equal($"/{Account}/{container.Name}", create.Resource);
        Assert.Equal(new Actor(ActorKind.SharedKey, "key1"), create.Actor);
        Assert.Equal("127.0.0.1", create.ClientAddress);

        var put = Assert.Single(entries, entry => entry.RequestId == RequestId(uploaded.GetRawResponse()));
        Assert.Equal(nameof(BlobOperation.PutBlob), put.Action);
        Assert.Equal($"/{Account}/{container.Name}/b1", put.Resource);
        Assert.Equal(AuditOutcomes.Success, put.Outcome);
        Assert.NotEmpty(put.Sites);

        var failure = Assert.Single(entries, entry => entry.Outcome == "AuthenticationFailed");
        Assert.Equal(Actor.Anonymous, failure.Actor);
        Assert.Equal(nameof(BlobOperation.GetContainerProperties), failure.Action);
        Assert.Equal($"/{Account}/{container.Name}", failure.Resource);

        // The development account's creation opened both its log and the platform log.
        Assert.Equal(AuditActions.CreateAccount, entries[0].Action);
        Assert.Contains(Entries(AuditLogs.Platform), entry => entry.Action == AuditActions.CreateAccount && entry.Resource == "/" + Account);
    }
}

/// <summary>Reads a log's entries straight from a data directory's store (read-only, beside the running server).</summary>
internal static class StoredLog
{
    /// <summary>The entries from the server's store: its SQLite file, or its PostgreSQL database in the postgres and nginx modes.</summary>
    public static IReadOnlyList<AuditEntry> Entries(StrongroomProcess server, string log)
    {
        if (server.MetadataConnectionString is not { } shared)
        {
            return Entries(server.DataDirectory, log);
        }

        using var connection = new Npgsql.NpgsqlConnection(shared);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM audit_entries WHERE log = @log ORDER BY idx";
        command.Parameters.AddWithValue("log", log);
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(AuditEntry.Decode((byte[])reader[0]));
        }

        return entries;
    }

    public static IReadOnlyList<AuditEntry> Entries(string dataDirectory, string log)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "metadata.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM audit_entries WHERE log = $log ORDER BY idx";
        command.Parameters.AddWithValue("$log", log);
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(AuditEntry.Decode((byte[])reader[0]));
        }

        return entries;
    }
}

/// <summary>
/// The Key Vault API's entries as the real server records them: the token endpoint records the
/// token it issues (actor: the account key presented; the token's pseudonym as its grant), and
/// every vault operation made with the token names that grant; no value, no token in any entry.
/// </summary>
public sealed class KeyVaultAuditWiringTests(KeyVaultServerFixture fixture) : IClassFixture<KeyVaultServerFixture>
{
    [Fact]
    public async Task Vault_operations_are_recorded_under_the_tokens_grant()
    {
        const string Value = "audited-secret-value-7f3a";
        TestLogs.RecordSecret("secret value", Value);
        var token = await fixture.TokenAsync(KeyVaultServerFixture.AccountA, fixture.KeyA);
        await fixture.CallAsync(token, HttpMethod.Put, "/secrets/audited", new { value = Value });
        await fixture.CallAsync(token, HttpMethod.Get, "/secrets/audited");
        await fixture.CallAsync(token, HttpMethod.Get, "/secrets/nosuch", expected: System.Net.HttpStatusCode.NotFound);

        var entries = StoredLog.Entries(fixture.Server, KeyVaultServerFixture.AccountA);
        var issued = Assert.Single(entries, entry => entry.Action == "IssueToken");
        Assert.Equal(new Actor(ActorKind.SharedKey, "key1"), issued.Actor);
        var grant = issued.Details.Single(detail => detail.Key == "grant").Value;
        var bearer = new Actor(ActorKind.BearerToken, KeyVaultServerFixture.AccountA, grant);

        var set = Assert.Single(entries, entry => entry.Action == "Vault.SetSecret");
        Assert.Equal(bearer, set.Actor);
        Assert.Equal("vault:/secrets/audited", set.Resource);
        var get = Assert.Single(entries, entry => entry.Action == "Vault.GetSecret" && entry.Outcome == AuditOutcomes.Success);
        Assert.Equal(bearer, get.Actor);
        var missing = Assert.Single(entries, entry => entry.Resource == "vault:/secrets/nosuch");
        Assert.Equal("SecretNotFound", missing.Outcome);

        foreach (var entry in entries)
        {
            var text = System.Text.Encoding.UTF8.GetString(entry.Encode());
            Assert.DoesNotContain(Value, text, StringComparison.Ordinal);
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.KeyA, text, StringComparison.Ordinal);
        }

        // The other tenant's log saw none of it.
        Assert.DoesNotContain(StoredLog.Entries(fixture.Server, KeyVaultServerFixture.AccountB), entry => entry.Action.StartsWith("Vault.", StringComparison.Ordinal));
    }
}
