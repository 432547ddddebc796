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

    private IReadOnlyList<AuditEntry> Entries(string log)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "metadata.db")};Mode=ReadOnly;Pooling=False");
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
