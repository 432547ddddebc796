using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>
/// Issue 9: three production servers on one PostgreSQL database keep every guarantee one server
/// gives, with the clients spread over them: conditional writes (one winner per ETag), leases, block
/// commits, one transparency tree per account that the tenant's verifier accepts from any server,
/// key rotation, lockbox grants. Servers are numbered 1–3 in messages (index 0–2 in code).
/// </summary>
[Trait("Category", "MultiServer")]
public sealed class MultiServerConsistencyTests(MultiServerFixture fixture, ITestOutputHelper output) : IClassFixture<MultiServerFixture>
{
    const int Servers = MultiServerDeployment.DefaultServers;

    [Fact]
    public async Task Concurrent_conditional_writes_through_three_servers_let_exactly_one_win_per_etag()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        const int Rounds = 8;
        const int ClientsPerServer = 2;
        const int Clients = Servers * ClientsPerServer;
        var containers = deployment.Container(TestNames.Container("ifmatch"));
        await containers[0].CreateAsync();
        var blobs = containers.Select(container => container.GetBlobClient("contended")).ToList();
        var content = Payloads.For("ifmatch-initial", 1000);
        var etag = (await blobs[0].UploadAsync(BinaryData.FromBytes(content))).Value.ETag;
        var refusals = 0;

        for (var round = 0; round < Rounds; round++)
        {
            // Every client reads the ETag through its own server: all see the same one.
            var seen = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
                (await blobs[client % Servers].GetPropertiesAsync()).Value.ETag));
            Assert.All(seen, observed => Assert.Equal(etag, observed));

            // Then all write at once with If-Match: that ETag, each through its own server.
            var payloads = Enumerable.Range(0, Clients).Select(client => Payloads.For($"ifmatch-{round}-{client}", 4096 + client)).ToArray();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writes = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                await gate.Task;
                try
                {
                    var written = await blobs[client % Servers].UploadAsync(
                        BinaryData.FromBytes(payloads[client]),
                        new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = etag } });
                    return (Client: client, Status: written.GetRawResponse().Status, Code: (string?)null, ETag: (ETag?)written.Value.ETag);
                }
                catch (RequestFailedException e)
                {
                    return (Client: client, e.Status, Code: e.ErrorCode, ETag: (ETag?)null);
                }
            })).ToList();
            gate.SetResult();
            var outcomes = await Task.WhenAll(writes);

            var summary = string.Join(", ", outcomes.Select(o => $"client {o.Client} via server {(o.Client % Servers) + 1}: {o.Status} {o.Code}"));
            var winners = outcomes.Where(o => o.Status == 201).ToList();
            Assert.True(winners.Count == 1, $"round {round}: exactly one write wins per ETag; got {summary}");
            Assert.True(
                outcomes.Where(o => o.Status != 201).All(o => o.Status == 412 && o.Code == "ConditionNotMet"),
                $"round {round}: every other write is refused with 412 ConditionNotMet; got {summary}");
            refusals += Clients - 1;

            // The content is the winner's, read through a server other than the winner's; its ETag is the one the winner got.
            var winner = winners[0];
            var reader = blobs[((winner.Client % Servers) + 1) % Servers];
            var stored = (await reader.DownloadContentAsync()).Value;
            AzureAssert.BytesEqual(payloads[winner.Client], stored.Content.ToMemory(), $"round {round}: the winner's content");
            Assert.Equal(winner.ETag, stored.Details.ETag);
            etag = winner.ETag!.Value;
        }

        Assert.Equal(Rounds * (Clients - 1), refusals);
        output.WriteLine($"{Rounds} rounds of {Clients} If-Match writes over {Servers} servers: {Rounds} won, {refusals} refused with 412 ConditionNotMet.");
    }

    [Fact]
    public async Task Lease_contention_across_servers_has_one_holder_and_the_others_are_refused()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        const int Rounds = 4;
        var containers = deployment.Container(TestNames.Container("leases"));
        await containers[0].CreateAsync();

        for (var round = 0; round < Rounds; round++)
        {
            var name = $"leased-{round}";
            var blobs = containers.Select(container => container.GetBlobClient(name)).ToList();
            await blobs[round % Servers].UploadAsync(BinaryData.FromString($"round {round}"));
            var ids = Enumerable.Range(0, Servers).Select(server => LeaseId(round, server)).ToList();

            // Acquire from the three servers at once.
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = Enumerable.Range(0, Servers).Select(server => Task.Run(async () =>
            {
                await gate.Task;
                try
                {
                    var lease = await blobs[server].GetBlobLeaseClient(ids[server]).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
                    return (Server: server, Status: lease.GetRawResponse().Status, Code: (string?)null, LeaseId: lease.Value.LeaseId);
                }
                catch (RequestFailedException e)
                {
                    return (Server: server, e.Status, Code: e.ErrorCode, LeaseId: (string?)null);
                }
            })).ToList();
            gate.SetResult();
            var outcomes = await Task.WhenAll(attempts);
            var summary = string.Join(", ", outcomes.Select(o => $"server {o.Server + 1}: {o.Status} {o.Code}"));
            var winners = outcomes.Where(o => o.Status == 201).ToList();
            Assert.True(winners.Count == 1, $"round {round}: exactly one acquire wins; got {summary}");
            Assert.True(
                outcomes.Where(o => o.Status != 201).All(o => o.Status == 409 && o.Code == "LeaseAlreadyPresent"),
                $"round {round}: the others are refused with 409 LeaseAlreadyPresent; got {summary}");
            var holder = winners[0].Server;
            Assert.Equal(ids[holder], winners[0].LeaseId);
            var other = (holder + 1) % Servers;
            var third = (holder + 2) % Servers;

            // Writes through the other servers: none without the lease id, none with a loser's.
            await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => blobs[other].UploadAsync(BinaryData.FromString("no lease"), overwrite: true), $"round {round}: a write through server {other + 1} without the lease");
            await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => blobs[third].UploadAsync(
                BinaryData.FromString("wrong lease"),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { LeaseId = ids[other] } }), $"round {round}: a write through server {third + 1} with a loser's lease id");
            await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blobs[third].GetBlobLeaseClient(ids[third]).ReleaseAsync(), $"round {round}: a loser releases");

            // With the holder's lease id any server writes; the write is read through another.
            var leased = Payloads.For($"leased-{round}", 3000);
            await blobs[other].UploadAsync(BinaryData.FromBytes(leased), new BlobUploadOptions { Conditions = new BlobRequestConditions { LeaseId = ids[holder] } });
            AzureAssert.BytesEqual(leased, (await blobs[third].DownloadContentAsync()).Value.Content.ToMemory(), $"round {round}: the leased write");
            Assert.Equal(Azure.Storage.Blobs.Models.LeaseState.Leased, (await blobs[third].GetPropertiesAsync()).Value.LeaseState);

            // Released through a third server, acquired through another.
            await blobs[third].GetBlobLeaseClient(ids[holder]).ReleaseAsync();
            var next = await blobs[other].GetBlobLeaseClient(ids[other]).AcquireAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(ids[other], next.Value.LeaseId);
            await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => blobs[holder].UploadAsync(BinaryData.FromString("old holder"), overwrite: true), $"round {round}: the old holder without a lease");
            await blobs[holder].GetBlobLeaseClient(ids[other]).ReleaseAsync();
            await blobs[holder].UploadAsync(BinaryData.FromString("free again"), overwrite: true);
            output.WriteLine($"round {round}: server {holder + 1} won the lease; {summary}");
        }
    }

    [Fact]
    public async Task Blocks_staged_through_one_server_commit_through_another_and_read_through_a_third()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        const int Blocks = 9;
        var containers = deployment.Container(TestNames.Container("blocks"));
        await containers[0].CreateAsync();
        var staged = containers.Select(container => container.GetBlockBlobClient("staged")).ToList();
        var ids = Enumerable.Range(0, Blocks).Select(i => Convert.ToBase64String(BitConverter.GetBytes(i))).ToList();
        var blocks = Enumerable.Range(0, Blocks).Select(i => Payloads.For($"block-{i}", (64 * 1024) + (i * 1000))).ToList();

        // Staged through server 1, concurrently.
        await Task.WhenAll(Enumerable.Range(0, Blocks).Select(i => Task.Run(async () =>
        {
            using var stream = new MemoryStream(blocks[i], writable: false);
            await staged[0].StageBlockAsync(ids[i], stream);
        })));
        var uncommitted = (await staged[2].GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks.Select(block => block.Name).Order().ToList();
        Assert.Equal(ids.Order().ToList(), uncommitted);

        // Committed through server 2 (in reverse order), read through server 3.
        var order = Enumerable.Range(0, Blocks).Reverse().ToList();
        await staged[1].CommitBlockListAsync(order.Select(i => ids[i]));
        var expected = order.SelectMany(i => blocks[i]).ToArray();
        AzureAssert.BytesEqual(expected, (await staged[2].DownloadContentAsync()).Value.Content.ToMemory(), "staged on 1, committed on 2, read on 3");
        var committed = (await staged[2].GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal(order.Select(i => ids[i]), committed.CommittedBlocks.Select(block => block.Name));
        Assert.Empty(committed.UncommittedBlocks);

        // Blocks staged through all three servers, one list committed through one of them; a block
        // nobody staged is refused wherever the list is committed.
        var mixed = containers.Select(container => container.GetBlockBlobClient("mixed")).ToList();
        await Task.WhenAll(Enumerable.Range(0, Blocks).Select(i => Task.Run(async () =>
        {
            using var stream = new MemoryStream(blocks[i], writable: false);
            await mixed[i % Servers].StageBlockAsync(ids[i], stream);
        })));
        await AzureAssert.FailsAsync(400, "InvalidBlockList", () => mixed[0].CommitBlockListAsync([.. ids, Convert.ToBase64String(BitConverter.GetBytes(Blocks))]), "a list naming a block nobody staged");
        await mixed[2].CommitBlockListAsync(ids);
        AzureAssert.BytesEqual(blocks.SelectMany(block => block).ToArray(), (await mixed[1].DownloadContentAsync()).Value.Content.ToMemory(), "staged on 1, 2 and 3, committed on 3, read on 2");
    }

    [Fact]
    public async Task Concurrent_writes_through_three_servers_append_to_one_tree_that_every_server_serves_and_the_verifier_accepts()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        const int WritersPerServer = 8;
        const int BlobsPerWriter = 4;
        var containerName = TestNames.Container("audited");
        var containers = deployment.Container(containerName);
        await containers[0].CreateAsync();

        using var first = await TenantLogReader.OpenAsync(deployment[0], deployment.AccountName, deployment.AccountKey);
        var before = (await first.CheckpointAsync()).Checkpoint;

        var names = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, Servers * WritersPerServer).Select(writer => Task.Run(async () =>
        {
            for (var b = 0; b < BlobsPerWriter; b++)
            {
                var name = $"w{writer:D2}-b{b}";
                await containers[writer % Servers].GetBlobClient(name).UploadAsync(BinaryData.FromString($"{containerName}/{name}"));
            }
        })));
        for (var writer = 0; writer < Servers * WritersPerServer; writer++)
        {
            for (var b = 0; b < BlobsPerWriter; b++)
            {
                names.Add($"w{writer:D2}-b{b}");
            }
        }

        // Each server's signed checkpoint, in turn: each next one is larger, since the token request
        // that opens each next reader is itself an entry of the log.
        var readers = new List<TenantLogReader> { first };
        try
        {
            var heads = new List<(Checkpoint Checkpoint, NoteVerifierKey Key)> { await first.CheckpointAsync() };
            for (var server = 1; server < Servers; server++)
            {
                readers.Add(await TenantLogReader.OpenAsync(deployment[server], deployment.AccountName, deployment.AccountKey));
                heads.Add(await readers[server].CheckpointAsync());
            }

            // One log: one origin, one signing key, sizes that only grow.
            Assert.All(heads, head => Assert.Equal(heads[0].Checkpoint.Origin, head.Checkpoint.Origin));
            Assert.All(heads, head => Assert.Equal(heads[0].Key.ToString(), head.Key.ToString()));
            for (var i = 1; i < Servers; i++)
            {
                Assert.True(heads[i].Checkpoint.Size > heads[i - 1].Checkpoint.Size, $"server {i + 1}'s checkpoint ({heads[i].Checkpoint.Size}) covers the token request after server {i}'s ({heads[i - 1].Checkpoint.Size})");
            }

            // Every pair of checkpoints is consistent, by a proof the third server serves; the one before the writes too.
            var checkpoints = heads.Select(head => head.Checkpoint).Prepend(before).ToList();
            var proofs = 0;
            for (var a = 0; a < checkpoints.Count; a++)
            {
                for (var b = a + 1; b < checkpoints.Count; b++)
                {
                    var (older, newer) = (checkpoints[a], checkpoints[b]);
                    if (older.Size == newer.Size)
                    {
                        Assert.Equal(older.RootHash, newer.RootHash);
                        continue;
                    }

                    var prover = readers[(a + b) % Servers];
                    var proof = await prover.ConsistencyProofAsync(older.Size, newer.Size);
                    Assert.True(
                        MerkleTree.VerifyConsistency(older.Size, newer.Size, older.RootHash, newer.RootHash, proof),
                        $"checkpoints of sizes {older.Size} and {newer.Size} are consistent by the proof of {prover.Server.Endpoint}");
                    proofs++;
                }
            }

            Assert.True(proofs == checkpoints.Count * (checkpoints.Count - 1) / 2, $"{proofs} consistency proofs checked");

            // The entries, read through server 2, hash to every server's signed root.
            var size = heads[^1].Checkpoint.Size;
            var entries = await readers[1].EntriesAsync(0, size);
            foreach (var (checkpoint, _) in heads)
            {
                Assert.Equal(checkpoint.RootHash, MerkleTree.RootFromLeafHashes(entries.Take((int)checkpoint.Size).Select(entry => entry.LeafHash)));
            }

            // Every write has exactly one entry, whichever server took it.
            var puts = entries.Skip((int)before.Size)
                .Select(entry => AuditEntry.Decode(entry.Body))
                .Where(entry => entry.Action == nameof(BlobOperation.PutBlob) && entry.Resource.StartsWith($"/{deployment.AccountName}/{containerName}/", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(Servers * WritersPerServer * BlobsPerWriter, puts.Count);
            Assert.Equal(
                names.Select(name => $"/{deployment.AccountName}/{containerName}/{name}").Order(StringComparer.Ordinal),
                puts.Select(entry => entry.Resource).Order(StringComparer.Ordinal));
            Assert.All(puts, entry => Assert.Equal(AuditOutcomes.Success, entry.Outcome));
            Assert.Equal(puts.Count, puts.Select(entry => entry.RequestId).Distinct().Count());

            // The tenant's verifier, as one tenant with one pinned state, through each server in
            // turn: the first pins the key and the tree, each next one must extend it.
            VerifierState? pinned = null;
            foreach (var reader in readers)
            {
                var result = await LogVerifier.VerifyAsync(reader, pinned, pinned is null ? await reader.VerifierKeyAsync() : null);
                Assert.True(result.Ok, $"the verifier through {reader.Server.Endpoint}: {result.Status} {result.Message} (first bad index {result.FirstBadIndex})");
                Assert.True(result.EntriesChecked >= Servers * WritersPerServer * BlobsPerWriter, $"{result.EntriesChecked} entries checked");
                pinned = result.NewState;
                output.WriteLine($"verifier through {reader.Server.Endpoint}: {result.Status}, {result.EntriesChecked} entries, checkpoint size {result.Checkpoint?.Size}");
            }

            output.WriteLine($"{puts.Count} writes through {Servers} servers, one entry each; checkpoints {string.Join(", ", heads.Select(head => head.Checkpoint.Size))}; {proofs} cross-server consistency proofs verified.");
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }

        // And `strongroom audit verify`, the tenant's command, accepts the log through the last server.
        var verified = await deployment[2].RunCommandAsync(
            null,
            new Dictionary<string, string> { ["STRONGROOM_ACCOUNT_KEY"] = deployment.AccountKey },
            ["audit", "verify", "--server", deployment[2].Endpoint.ToString(), "--account", deployment.AccountName, "--ca-cert", deployment[2].CertificatePath, "--state-dir", Path.Combine(deployment.Root, "verifier-state")]);
        Assert.True(verified.ExitCode == 0, $"audit verify through server 3.\n{verified}");
        Assert.Contains(" entries (0 pruned) up to checkpoint size ", verified.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotation_through_one_server_is_used_by_the_others()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        var containers = deployment.Container(TestNames.Container("rotation"));
        await containers[0].CreateAsync();
        var before = Payloads.For("multi-rotation-before", 5000);
        await containers[2].GetBlobClient("before").UploadAsync(BinaryData.FromBytes(before));

        // The keyring and the account's key-encryption key rotated through server 1.
        var rotate = await deployment[0].RunCliAsync("vault", "rotate");
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        var rotateKey = await deployment[0].RunCliAsync("account", "rotate-key", deployment.AccountName);
        Assert.True(rotateKey.ExitCode == 0, rotateKey.ToString());

        // Written through server 2, read through server 3 and 1.
        var after = Payloads.For("multi-rotation-after", 7000);
        await containers[1].GetBlobClient("after").UploadAsync(BinaryData.FromBytes(after));
        foreach (var server in new[] { 2, 0 })
        {
            AzureAssert.BytesEqual(before, (await containers[server].GetBlobClient("before").DownloadContentAsync()).Value.Content.ToMemory(), $"data from before the rotation through server {server + 1}");
            AzureAssert.BytesEqual(after, (await containers[server].GetBlobClient("after").DownloadContentAsync()).Value.Content.ToMemory(), $"data from after the rotation through server {server + 1}");
        }

        // An account created through server 1 after the rotation: its keys are wrapped by keyring
        // version 2, which servers 2 and 3 have to find in the shared vault.
        var (rotatedKey, _) = await deployment[0].CreateAccountAsync("rotatedacct");
        var fresh = deployment[1].ServiceClient("rotatedacct", rotatedKey).GetBlobContainerClient("fresh");
        await fresh.CreateAsync();
        await fresh.GetBlobClient("blob").UploadAsync(BinaryData.FromString("tenant data"));
        Assert.Equal("tenant data", (await deployment[2].ServiceClient("rotatedacct", rotatedKey).GetBlobContainerClient("fresh").GetBlobClient("blob").DownloadContentAsync()).Value.Content.ToString());

        // The rewrap finished through server 2; server 3 reports the account's data keys all on version 2.
        var rewrap = await deployment[1].RunCliAsync("vault", "rewrap", "--json");
        Assert.True(rewrap.ExitCode == 0, rewrap.ToString());
        var status = await deployment[2].RunCliAsync("vault", "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("current 2", status.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"(?m)^{deployment.AccountName}\s+v1=0 v2\*=[1-9]\d*\s*$"), status.StandardOutput);
        AzureAssert.BytesEqual(before, (await containers[1].GetBlobClient("before").DownloadContentAsync()).Value.Content.ToMemory(), "data from before the rotation, rewrapped, through server 2");
    }

    [Fact]
    public async Task A_lockbox_grant_approved_through_one_server_is_honoured_by_another_and_revoked_through_a_third()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        var containerName = TestNames.Container("support");
        var containers = deployment.Container(containerName);
        await containers[0].CreateAsync();
        await containers[0].GetBlobClient("allowed/a.txt").UploadAsync(BinaryData.FromString("case file a"));
        using var api1 = new ManagementApi(deployment[0]);
        using var api2 = new ManagementApi(deployment[1]);
        using var api3 = new ManagementApi(deployment[2]);

        // Principals made through different servers; each signs in once, and its session is used on every server.
        var sam = await Principals.CreateFirstOperatorAsync(deployment[0], "sam");
        var samToken = await sam.LoginAsync(api1);
        var alice = await Principals.CreateOperatorAsync(api2, samToken, "alice", "system-admin");
        var tina = await Principals.CreateTenantAdminAsync(deployment[2], deployment.AccountName, "tina");
        var aliceToken = await alice.LoginAsync(api3);
        var tinaToken = await tina.LoginAsync(api2);

        // Requested and approved through server 1, activated through server 2, the token taken through server 3.
        var justification = "Ticket 9001: export stuck on one server of three";
        var id = (await api1.PostAsync("v1/lockbox/requests", new { account = deployment.AccountName, container = containerName, prefix = "allowed/", access = "read-data", durationMinutes = 60, justification }, aliceToken)).Ok().Text("id");
        (await api1.PostAsync($"v1/lockbox/requests/{id}/approve", null, tinaToken)).Ok();
        Assert.Equal("approved", (await api1.PostAsync($"v1/lockbox/requests/{id}/approve", null, samToken)).Ok().Text("state"));
        Assert.Equal("active", (await api2.PostAsync($"v1/lockbox/requests/{id}/activate", null, aliceToken)).Ok().Text("state"));
        var token = (await api3.PostAsync($"v1/lockbox/requests/{id}/token", null, aliceToken)).Ok().Text("token");
        TestLogs.RecordSecret("grant token", token);

        // Honoured by server 2 (and the others), inside its scope only.
        var operatorBlobs = Enumerable.Range(0, Servers).Select(server =>
            new BlobServiceClient(deployment[server].AccountUri(deployment.AccountName), new GrantCredential(token), deployment[server].ClientOptions())
                .GetBlobContainerClient(containerName).GetBlobClient("allowed/a.txt")).ToList();
        foreach (var server in new[] { 1, 0, 2 })
        {
            Assert.Equal("case file a", (await operatorBlobs[server].DownloadContentAsync()).Value.Content.ToString());
        }

        // Revoked through server 3: over on server 2 at its next request, and everywhere else.
        Assert.Equal("revoked", (await api3.PostAsync($"v1/lockbox/requests/{id}/revoke", null, tinaToken)).Ok().Text("state"));
        foreach (var server in new[] { 1, 0, 2 })
        {
            await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => operatorBlobs[server].DownloadContentAsync(), $"the revoked grant through server {server + 1}");
        }

        // The request's story is in the account's one log, whichever server wrote each step.
        var export = await deployment[1].RunCliAsync("audit", "export", "--account", deployment.AccountName);
        Assert.True(export.ExitCode == 0, export.ToString());
        var steps = new List<string>();
        foreach (var line in export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            var entry = document.RootElement.GetProperty("entry");
            if (entry.GetProperty("action").GetString()!.StartsWith("Lockbox.", StringComparison.Ordinal)
                && entry.TryGetProperty("justification", out var text) && text.GetString() == justification)
            {
                steps.Add(entry.GetProperty("action").GetString()!);
            }
        }

        Assert.Equal(["Lockbox.Request", "Lockbox.Approve", "Lockbox.Approve", "Lockbox.Activate", "Lockbox.IssueToken", "Lockbox.Revoke"], steps);
    }

    static string LeaseId(int round, int server) =>
        new Guid(string.Create(CultureInfo.InvariantCulture, $"{round:D8}-0000-4000-8000-{server + 1:D12}")).ToString();

    /// <summary>A TokenCredential that always returns the grant token: how an operator hands it to the SDK.</summary>
    sealed class GrantCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
