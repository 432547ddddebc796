using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction.Tests;

/// <summary>
/// Issue 9: two servers of one deployment issuing the same destruction's certificate, simulated by
/// a second <see cref="CertificateService"/> over a second store on the same SQLite file (its gates
/// are not the first one's). However they interleave, each revision owed is issued once.
/// </summary>
public sealed class CertificateCrossProcessTests : IAsyncLifetime
{
    private readonly CertificateFixture fixture = new();
    private SqlMetadataStore peerStore = null!;
    private CertificateService peer = null!;

    public async Task InitializeAsync()
    {
        await fixture.InitializeAsync();
        peerStore = await TestMetadata.OpenAsync(Path.Combine(fixture.Directory, "metadata.db"));
        peer = new CertificateService(peerStore, new TransparencyLog(peerStore, new CheckpointSigner(fixture.Seal), () => CertificateFixture.Deployment, fixture.Time), fixture.Time);
    }

    public async Task DisposeAsync()
    {
        await peerStore.DisposeAsync();
        await fixture.DisposeAsync();
    }

    /// <summary>The destruction's row, owing <paramref name="due"/> revisions (as the shredding commit and the sweep record it).</summary>
    private async Task OweAsync(DestructionRecord destruction, int due)
    {
        await using var connection = await TestMetadata.OpenConnectionAsync(Path.Combine(fixture.Directory, "metadata.db"));
        await using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO destructions (id, account, kind, scope, state, keys_destroyed_on, object_count, byte_count, details, revisions_due) " +
            "VALUES (@id, @account, 0, @scope, 0, 0, 0, 0, '{}', @due) ON CONFLICT (id) DO UPDATE SET revisions_due = @due";
        foreach (var (name, value) in new (string, object)[] { ("@id", destruction.Id), ("@account", destruction.Account), ("@scope", destruction.Scope), ("@due", (long)due) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_server_issuing_from_a_stale_list_gets_the_certificate_another_server_issued()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        await OweAsync(destruction, due: 1);

        // Both servers listed the destruction as owing revision 1; this one issued it first.
        var first = await fixture.Certificates.IssueAsync(destruction);
        var second = await peer.IssueAsync(destruction);

        Assert.Equal(1, second.Revision);
        Assert.Equal(first.Document, second.Document);
        Assert.Equal(first.Signature, second.Signature);
        Assert.Null(await fixture.Store.GetCertificateAsync(destruction.Id, 2));

        // The sweep completes: revision 2 is owed, issued once by whichever server comes first.
        var swept = await fixture.SweptAsync(destruction);
        await OweAsync(destruction, due: 2);
        var completion = await peer.IssueAsync(swept);
        var again = await fixture.Certificates.IssueAsync(swept);
        Assert.Equal(2, completion.Revision);
        Assert.Equal(completion.Document, again.Document);
        Assert.Null(await fixture.Store.GetCertificateAsync(destruction.Id, 3));
        var result = CertificateVerifier.Verify(again.Document, again.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.NotNull(result.Document!.SweepCompletedOn);
    }

    [Fact]
    public async Task Two_servers_issuing_the_same_revision_at_once_yield_one_certificate()
    {
        var destruction = await fixture.KeysDestroyedAsync("d-race");
        await OweAsync(destruction, due: 1);

        var issued = await Task.WhenAll(
            Task.Run(() => fixture.Certificates.IssueAsync(destruction)),
            Task.Run(() => peer.IssueAsync(destruction)));

        Assert.All(issued, certificate => Assert.Equal(1, certificate.Revision));
        Assert.Equal(issued[0].Document, issued[1].Document);
        var stored = await fixture.Store.GetCertificateAsync(destruction.Id);
        Assert.Equal(1, stored!.Revision);
        Assert.Equal(stored.Document, issued[0].Document);

        // One issue entry in the account's log: the loser's entry was never appended.
        var head = await fixture.Audit.GetTreeHeadAsync(CertificateFixture.Account);
        var entries = await fixture.Audit.ReadEntriesAsync(CertificateFixture.Account, 0, head.Size);
        Assert.Single(entries, entry => AuditEntry.Decode(entry.Body!).Action == AuditActions.IssueCertificate);
    }
}
