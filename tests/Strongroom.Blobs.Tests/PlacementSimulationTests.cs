using System.Globalization;
using System.Text;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Seeded fault simulation of placement and replication (issue 5): the real blob service, SQLite
/// store and ten local-directory sites behind a fault injector, driven by a random sequence of
/// puts, overwrites, deletes and reads, sites going down and coming back, copies corrupted, a
/// crash between writing copies and committing metadata, clock jumps and repair passes. Checkers:
/// no read ever returns wrong bytes; no site ever accepts an object outside its account's
/// residency (a CN-only account beside an EU region, and an EU-only account); after the faults
/// stop and passes run, every acknowledged write (not deleted since) reads back exactly, every
/// object has the copies its policy asks for, all Present and on allowed sites, and no site holds
/// anything the store does not reference. A failure prints the seed and the last steps; replay
/// with <c>--filter "FullyQualifiedName~PlacementSimulation"</c> and the seed.
/// </summary>
public sealed class PlacementSimulationTests(ITestOutputHelper output)
{
    private const int Steps = 160;
    private const int DownSitesMax = 2;

    private static readonly string[] Accounts = ["simcn", "simgeo", "simeu"];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(20261130)]
    public async Task Acknowledged_writes_survive_faults_inside_their_residency_and_copies_converge(int seed)
    {
        await using var f = await PlacementFixture.CreateAsync(seed);
        var simulation = new Simulation(f, seed);
        await simulation.RunAsync();
        output.WriteLine(simulation.Summary());
    }

    private sealed class Simulation(PlacementFixture f, int seed)
    {
        private readonly Random random = new(seed);
        private readonly List<string> log = [];

        // What a reader may see for each blob: every value one of whose writes may have taken effect
        // (an acknowledged write narrows it to one; a failed one adds its value); null means absent.
        private readonly Dictionary<(string Account, string Blob), List<byte[]?>> expected = [];
        private readonly Dictionary<string, string> objectAccounts = new(StringComparer.Ordinal);
        private readonly HashSet<string> planted = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> writtenSeen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, PlacementPolicy> policies = new(StringComparer.Ordinal);
        private int step;
        private int blobNames;

        public async Task RunAsync()
        {
            await f.CreateAccountAsync("simcn", new PlacementPolicyRequest(Residency: ["CN"], PrimaryRegion: "cn-east", Redundancy: "LRS"));
            await f.CreateAccountAsync("simgeo", new PlacementPolicyRequest(Residency: ["CN"], PrimaryRegion: "cn-east", SecondaryRegion: "cn-north", Redundancy: "GRS"));
            await f.CreateAccountAsync("simeu", new PlacementPolicyRequest(Residency: ["EU"], PrimaryRegion: "eu-west", SecondaryRegion: null, Redundancy: "LRS"));
            foreach (var account in Accounts)
            {
                policies[account] = f.Placement.Resolve((await f.Store.GetAccountAsync(account))!);
            }

            foreach (var site in f.Faulty.Keys)
            {
                writtenSeen[site] = 0;
            }

            for (step = 0; step < Steps; step++)
            {
                await RunStepAsync();
                await CheckWrittenResidencyAsync(null);
                await CheckStoredResidencyAsync();
            }

            // The faults stop.
            step = Steps;
            Note("faults stop: every site up, passes until converged");
            foreach (var site in f.Faulty.Values)
            {
                site.Down = false;
                site.FailWrites = false;
                site.BeforeCommit = null;
            }

            for (var round = 0; round < 4; round++)
            {
                f.Time.Advance(Limits.ScrubInterval + Limits.OrphanGrace);
                for (var pass = 0; pass < 4; pass++)
                {
                    await PassAsync();
                }
            }

            await CheckWrittenResidencyAsync(null);
            await CheckStoredResidencyAsync();
            await CheckConvergedAsync();
            foreach (var key in expected.Keys.ToList())
            {
                await CheckReadAsync(key, mustSucceed: true);
            }
        }

        private async Task RunStepAsync()
        {
            var roll = random.Next(100);
            switch (roll)
            {
                case < 30:
                    await PutAsync(crash: false);
                    break;
                case < 34:
                    await PutAsync(crash: true);
                    break;
                case < 42:
                    await DeleteAsync();
                    break;
                case < 58:
                    if (expected.Count > 0)
                    {
                        await CheckReadAsync(expected.Keys.ElementAt(random.Next(expected.Count)), mustSucceed: false);
                    }

                    break;
                case < 66:
                    TakeSiteDown();
                    break;
                case < 74:
                    BringSiteUp();
                    break;
                case < 78:
                    await CorruptAsync();
                    break;
                case < 80:
                    await PlantOrphanAsync();
                    break;
                case < 86:
                    JumpClock();
                    break;
                default:
                    await PassAsync();
                    break;
            }
        }

        private async Task PutAsync(bool crash)
        {
            var account = Accounts[random.Next(Accounts.Length)];
            var existing = expected.Keys.Where(key => key.Account == account).ToList();
            var blob = existing.Count > 0 && random.Next(3) == 0 ? existing[random.Next(existing.Count)].Blob : "b" + (blobNames++).ToString(CultureInfo.InvariantCulture);
            var length = random.Next(4) == 0 ? random.Next(64 * 1024, 300_000) : random.Next(0, 5_000);
            var content = new byte[length];
            random.NextBytes(content);
            var key = (account, blob);

            FaultySite? crashing = null;
            if (crash)
            {
                // The process dies after some copies are published and before the store commits:
                // the put fails, the published copies are orphans nobody may read.
                var candidates = f.Faulty.Values.Where(site => !site.Down && RepairWorker.Allows(f.Descriptor(site.Id), policies[account], policies[account].Redundancy)).ToList();
                crashing = candidates[random.Next(candidates.Count)];
                crashing.BeforeCommit = _ => throw new InvalidOperationException("simulated crash before the metadata commit");
            }

            Note($"put {account}/{blob} ({length} bytes){(crashing is null ? string.Empty : " crashing at " + crashing.Id)}");
            try
            {
                await f.PutAsync(account, blob, content);
                expected[key] = [content];
                Note("  acknowledged");
            }
            catch (Exception exception) when (exception is not InvariantViolationException)
            {
                Note($"  failed: {Describe(exception)}");
                if (!expected.TryGetValue(key, out var values))
                {
                    values = [null];
                    expected[key] = values;
                }

                values.Add(content);
            }
            finally
            {
                if (crashing is not null)
                {
                    crashing.BeforeCommit = null;
                }
            }

            await CheckWrittenResidencyAsync(account);
        }

        private async Task DeleteAsync()
        {
            if (expected.Count == 0)
            {
                return;
            }

            var key = expected.Keys.ElementAt(random.Next(expected.Count));
            Note($"delete {key.Account}/{key.Blob}");
            try
            {
                await f.DeleteAsync(key.Account, key.Blob);
                expected.Remove(key);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.BlobNotFound)
            {
                Check(expected[key].Contains(null), $"{key.Account}/{key.Blob} was acknowledged but delete says it does not exist");
                expected.Remove(key);
            }
        }

        private async Task CheckReadAsync((string Account, string Blob) key, bool mustSucceed)
        {
            var values = expected[key];
            byte[]? actual;
            try
            {
                actual = await f.ReadAsync(key.Account, key.Blob);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.BlobNotFound)
            {
                actual = null;
            }
            catch (Exception exception) when (!mustSucceed && exception is not InvariantViolationException)
            {
                // A read may fail while faults hide every good copy; it must never return wrong bytes.
                Note($"read {key.Account}/{key.Blob}: unavailable ({Describe(exception)})");
                return;
            }

            Check(
                values.Any(value => value is null ? actual is null : actual is not null && value.AsSpan().SequenceEqual(actual)),
                $"read {key.Account}/{key.Blob} returned {(actual is null ? "not found" : actual.Length + " bytes")} that match no acknowledged or possibly applied write");
            Note($"read {key.Account}/{key.Blob}: ok");
            if (actual is null)
            {
                expected.Remove(key);
            }
            else
            {
                expected[key] = [actual];
            }
        }

        private void TakeSiteDown()
        {
            var up = f.Faulty.Values.Where(site => !site.Down).ToList();
            if (f.Faulty.Count - up.Count >= DownSitesMax)
            {
                return;
            }

            var site = up[random.Next(up.Count)];
            Note($"site {site.Id} down");
            f.SetDown(site.Id, true);
        }

        private void BringSiteUp()
        {
            var down = f.Faulty.Values.Where(site => site.Down).ToList();
            if (down.Count == 0)
            {
                return;
            }

            var site = down[random.Next(down.Count)];
            Note($"site {site.Id} up");
            site.Down = false;
        }

        /// <summary>Flips a byte of one Present copy of an object whose other copies are all good.</summary>
        private async Task CorruptAsync()
        {
            var candidates = new List<(StoredObject Object, string SiteId)>();
            foreach (var account in Accounts)
            {
                foreach (var blob in (await f.Store.ListBlobLocationsAsync(account, null, null, null, 1000)).Blobs)
                {
                    foreach (var stored in blob.Objects.Where(stored => stored.CiphertextLength > 0))
                    {
                        if (stored.Copies.Count(copy => copy.State == CopyState.Present) < 2 || stored.Copies.Any(copy => copy.State == CopyState.Bad) || corrupted.Contains(stored.ObjectId))
                        {
                            continue;
                        }

                        candidates.AddRange(stored.Copies.Where(copy => copy.State == CopyState.Present && !f.Faulty[copy.SiteId].Down).Select(copy => (stored, copy.SiteId)));
                    }
                }
            }

            if (candidates.Count == 0)
            {
                return;
            }

            var (victim, siteId) = candidates[random.Next(candidates.Count)];
            Note($"corrupt {victim.ObjectId} on {siteId}");
            f.Faulty[siteId].Corrupt(victim.ObjectId, random.Next((int)victim.CiphertextLength));
            corrupted.Add(victim.ObjectId);
        }

        // Objects with one corrupted copy: never corrupt a second one before a scrub ran (the
        // simulation's fault model: one bad copy at a time per object, as with independent disks).
        private readonly HashSet<string> corrupted = new(StringComparer.Ordinal);

        private async Task PlantOrphanAsync()
        {
            var site = f.Faulty.Values.Where(site => !site.Down).ElementAt(random.Next(f.Faulty.Values.Count(site => !site.Down)));
            var id = Convert.ToHexStringLower(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray());
            var content = new byte[random.Next(1, 2_000)];
            random.NextBytes(content);
            Note($"orphan {id} planted on {site.Id}");
            planted.Add(id);
            await site.PlantAsync(id, content);
        }

        private void JumpClock()
        {
            TimeSpan[] jumps = [TimeSpan.FromSeconds(1), Limits.SiteProbeInterval, TimeSpan.FromMinutes(3), Limits.OrphanGrace, TimeSpan.FromHours(2), Limits.ScrubInterval];
            var jump = jumps[random.Next(jumps.Length)];
            Note($"clock +{jump}");
            f.Time.Advance(jump);
        }

        private async Task PassAsync()
        {
            f.Time.Advance(Limits.SiteProbeInterval);
            var pass = await f.Repair.RunPassAsync();
            Note($"pass: {pass}");

            // A scrub that ran clears the one-bad-copy guard for objects no longer carrying an unseen corruption.
            if (pass.CopiesVerified > 0 || pass.CopiesMarkedBad > 0)
            {
                foreach (var objectId in corrupted.ToList())
                {
                    if (await AllCopiesVerifiedGoodAsync(objectId))
                    {
                        corrupted.Remove(objectId);
                    }
                }
            }
        }

        private async Task<bool> AllCopiesVerifiedGoodAsync(string objectId)
        {
            foreach (var account in Accounts)
            {
                foreach (var blob in (await f.Store.ListBlobLocationsAsync(account, null, null, null, 1000)).Blobs)
                {
                    foreach (var stored in blob.Objects.Where(stored => stored.ObjectId == objectId))
                    {
                        return stored.Copies
                            .Where(copy => copy.State == CopyState.Present)
                            .All(copy => f.Faulty[copy.SiteId].Bytes(objectId) is { } bytes && Crc64Nvme.Compute(bytes) == stored.CiphertextCrc64);
                    }
                }
            }

            return true;
        }

        /// <summary>Every object a site accepted since the last check belongs to an account whose residency allows the site.</summary>
        private Task CheckWrittenResidencyAsync(string? writer)
        {
            foreach (var site in f.Faulty.Values)
            {
                List<string> fresh;
                lock (site.WrittenIds)
                {
                    fresh = site.WrittenIds.Skip(writerSeen(site.Id)).ToList();
                    writtenSeen[site.Id] = site.WrittenIds.Count;
                }

                var jurisdiction = f.Descriptor(site.Id).Jurisdiction;
                foreach (var objectId in fresh)
                {
                    if (!objectAccounts.TryGetValue(objectId, out var account))
                    {
                        Check(writer is not null, $"site {site.Id} accepted {objectId}, an object no put wrote");
                        account = writer!;
                        objectAccounts[objectId] = account;
                    }

                    Check(policies[account].Allows(jurisdiction), $"residency: site {site.Id} ({jurisdiction}) accepted {objectId} of {account} ({string.Join(",", policies[account].Residency)})");
                }
            }

            return Task.CompletedTask;

            int writerSeen(string siteId) => writtenSeen[siteId];
        }

        /// <summary>No copy row of any account's object names a site outside its residency.</summary>
        private async Task CheckStoredResidencyAsync()
        {
            foreach (var account in Accounts)
            {
                foreach (var blob in (await f.Store.ListBlobLocationsAsync(account, null, null, null, 1000)).Blobs)
                {
                    foreach (var copy in blob.Objects.SelectMany(stored => stored.Copies))
                    {
                        var jurisdiction = f.Descriptor(copy.SiteId).Jurisdiction;
                        Check(policies[account].Allows(jurisdiction), $"residency: {account}/{blob.Blob} has a {copy.State} copy on {copy.SiteId} ({jurisdiction})");
                    }
                }
            }
        }

        private async Task CheckConvergedAsync()
        {
            var referenced = f.Faulty.Keys.ToDictionary(site => site, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
            foreach (var account in Accounts)
            {
                var policy = policies[account];
                var required = RepairWorker.CopiesRequired(policy, policy.Redundancy);
                foreach (var blob in (await f.Store.ListBlobLocationsAsync(account, null, null, null, 1000)).Blobs)
                {
                    foreach (var stored in blob.Objects)
                    {
                        var where = $"{account}/{blob.Blob} ({stored.ObjectId}): {string.Join(", ", stored.Copies.Select(copy => copy.SiteId + ":" + copy.State))}";
                        Check(stored.Copies.Count == required, $"{where} has {stored.Copies.Count} copies, its policy {policy.Redundancy} asks for {required}");
                        Check(stored.Copies.All(copy => copy.State == CopyState.Present), $"{where} has copies not Present after convergence");
                        Check(stored.Copies.All(copy => RepairWorker.Allows(f.Descriptor(copy.SiteId), policy, policy.Redundancy)), $"{where} has a copy on a site its policy does not allow");
                        foreach (var copy in stored.Copies)
                        {
                            referenced[copy.SiteId].Add(stored.ObjectId);
                            var bytes = f.Faulty[copy.SiteId].Bytes(stored.ObjectId);
                            Check(bytes is not null && Crc64Nvme.Compute(bytes) == stored.CiphertextCrc64, $"{where}: the copy on {copy.SiteId} is missing or does not match its checksum");
                        }
                    }
                }
            }

            foreach (var (siteId, site) in f.Faulty)
            {
                var stray = (await site.StoredIdsAsync()).Where(id => !referenced[siteId].Contains(id)).ToList();
                Check(stray.Count == 0, $"site {siteId} still holds {stray.Count} unreferenced object(s) ({string.Join(", ", stray.Take(3))}) after the orphan grace");
            }

            Check((await f.Store.ListTombstonesAsync(null, 10)).Count == 0, "tombstones remain after every site came back");
        }

        private void Note(string what) => log.Add($"[{step}] {what}");

        /// <summary>How many of each event the seed produced (so a seed that exercises nothing shows).</summary>
        public string Summary()
        {
            int Count(string prefix) => log.Count(line => line[(line.IndexOf(']', StringComparison.Ordinal) + 2)..].StartsWith(prefix, StringComparison.Ordinal));
            return string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {Count("put")} puts ({Count("  acknowledged")} acknowledged, {Count("  failed")} failed), {Count("delete")} deletes, {Count("read")} reads ({log.Count(line => line.Contains("unavailable", StringComparison.Ordinal))} unavailable), {Count("site")} site changes, {Count("corrupt")} corruptions, {Count("orphan")} orphans planted, {Count("clock")} clock jumps, {Count("pass")} passes ({log.Count(line => line.Contains("pass: ", StringComparison.Ordinal) && !line.Contains("CopiesMade = 0,", StringComparison.Ordinal))} made copies)");
        }

        private void Check(bool condition, string what)
        {
            if (condition)
            {
                return;
            }

            var message = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"seed {seed}, step {step}: {what}\nreplay: PlacementSimulationTests with seed {seed}\nlast steps:\n")
                .AppendJoin('\n', log.TakeLast(40))
                .ToString();
            Assert.Fail(message);
        }

        private static string Describe(Exception exception) =>
            exception is StorageException storage ? storage.Code.ToString() : exception.GetType().Name;
    }
}
