using System.Globalization;
using System.Text;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>
/// The transfer variant: blobs put and deleted in both accounts (residency CN), transfers to the
/// EU site (or, refused, to a CN one) requested, approved, denied and run by random principals,
/// expiry sweeps, clock jumps and crashes between steps. Checkers: every call succeeds exactly when
/// the model says it may; a copy outside the residency exists only for a completed transfer, only
/// on its destination, only for a blob of its account inside its container and prefix, and has its
/// Transfer.Copy entry; the EU site holds nothing else; each transfer's transitions appear in its
/// account's log exactly once, in order, with its purpose; every log verifies.
/// </summary>
public sealed partial class ApprovalSimulationTests
{
    private const int TransferSteps = 250;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(20261130)]
    public async Task Transfer_copies_exist_only_for_approved_transfers_on_their_destination_through_faults(int seed)
    {
        var fixture = new AccessFixture();
        await fixture.InitializeAsync();
        try
        {
            var simulation = new TransferSimulation(fixture, seed);
            await simulation.RunAsync();
            output.WriteLine(simulation.Summary());
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private sealed class TransferSimulation(AccessFixture f, int seed) : SimulationRun(seed, "transfers")
    {
        private static readonly string[] Accounts = [AccessFixture.Account, AccessFixture.OtherAccount];
        private static readonly string[] Prefixes = ["thumbnails/", "raw/"];

        private static readonly AuthenticatedPrincipal[] Principals =
        [
            new(PrincipalKind.Operator, PrincipalIds.NoAccount, "olga", OperatorRole.SystemAdmin, "s-olga"),
            new(PrincipalKind.Operator, PrincipalIds.NoAccount, "otto", OperatorRole.SystemAdmin, "s-otto"),
            new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "s-sam"),
            new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sue", OperatorRole.SecurityAdmin, "s-sue"),
            new(PrincipalKind.Operator, PrincipalIds.NoAccount, "abe", OperatorRole.AuditAdmin, "s-abe"),
            new(PrincipalKind.TenantAdmin, AccessFixture.Account, "tina", null, "s-tina"),
            new(PrincipalKind.TenantAdmin, AccessFixture.Account, "tom", null, "s-tom"),
            new(PrincipalKind.TenantAdmin, AccessFixture.OtherAccount, "gina", null, "s-gina"),
        ];

        private readonly List<TransferModel> transfers = [];
        private readonly HashSet<(string Account, string Container, string Blob)> blobs = [];
        private readonly Dictionary<string, LogReader> logs = new(StringComparer.Ordinal);
        private int blobNumber;

        private DateTimeOffset Now => f.Time.GetUtcNow();

        public async Task RunAsync()
        {
            foreach (var account in Accounts)
            {
                await f.Store.CreateContainerAsync(new ContainerRecord(account, "videos", "\"0x1\"", Now, Now, []));
                logs[account] = new LogReader(account);
            }

            for (Step = 1; Step <= TransferSteps; Step++)
            {
                var roll = Random.Next(100);
                switch (roll)
                {
                    case < 18: await PutAsync(); break;
                    case < 23: await DeleteAsync(); break;
                    case < 37: await RequestAsync(); break;
                    case < 62: await DecideAsync(approve: true); break;
                    case < 67: await DecideAsync(approve: false); break;
                    case < 80: await RunTransferAsync(); break;
                    case < 88: JumpClock(); break;
                    case < 93: await SweepAsync(); break;
                    default: await CrashAsync(); break;
                }

                await CheckAsync(verify: Step % 50 == 0);
            }

            Note("final sweep");
            await SweepAsync();
            await CheckAsync(verify: true);
        }

        private async Task PutAsync()
        {
            var key = (Pick(Accounts), Random.Next(3) == 0 ? "videos" : "photos", Pick(Prefixes) + "b" + (++blobNumber).ToString(CultureInfo.InvariantCulture));
            Note($"put {key.Item1}/{key.Item2}/{key.Item3}");
            var content = new byte[Random.Next(1, 2000)];
            Random.NextBytes(content);
            await f.PutBlobAsync(key.Item1, key.Item2, key.Item3, content);
            blobs.Add(key);
            Count("puts");
        }

        private async Task DeleteAsync()
        {
            if (blobs.Count == 0)
            {
                return;
            }

            var key = Pick(blobs.ToList());
            Note($"delete {key.Account}/{key.Container}/{key.Blob}");
            await f.DeleteBlobAsync(key.Account, key.Container, key.Blob);
            blobs.Remove(key);
            Count("deletes");
        }

        private async Task RequestAsync()
        {
            var caller = Pick(Principals);
            var account = Random.Next(8) == 0 ? "initech" : Pick(Accounts);
            var container = Random.Next(8) == 0 ? "missing" : Random.Next(3) == 0 ? "videos" : "photos";
            string? prefix = Random.Next(3) == 0 ? null : Pick(Prefixes);
            var destination = Random.Next(6) == 0 ? AccessFixture.CnSecondSite : AccessFixture.EuSite;
            var purpose = string.Create(CultureInfo.InvariantCulture, $"Purpose {Seed}-{Step}: EU analytics of {container}");
            Note($"request by {caller.Id}: {account}/{container}/{prefix} to {destination}");
            var expected = (caller.IsOperator(OperatorRole.SystemAdmin) || caller.IsTenantAdminOf(account))
                && account != "initech" && container != "missing" && destination == AccessFixture.EuSite;
            var spec = new TransferSpec(account, container, prefix, destination, TransferLegalBasis.StandardContract, "SCC-2026-" + Step.ToString(CultureInfo.InvariantCulture), purpose);
            var result = await TryAsync(() => f.Transfers.RequestAsync(caller, spec));
            Expect(expected, result.Code, "request");
            if (result.Value is { } record)
            {
                var model = new TransferModel(record.Id, account, container, prefix, destination, caller.Id, purpose, Now + f.Options.RequestPendingLifetime);
                model.Actions.Add(AuditActions.TransferRequest);
                transfers.Add(model);
                Note($"  -> {record.Id}");
            }
        }

        private async Task DecideAsync(bool approve)
        {
            if (PickTransfer(TransferState.Requested) is not { } transfer)
            {
                return;
            }

            var caller = Random.Next(2) == 0
                ? Pick(Principals.Where(p => p.IsTenantAdminOf(transfer.Account)).ToList())
                : Pick(Principals);
            var verb = approve ? "approve" : "deny";
            Note($"{verb} {transfer.Id} by {caller.Id}");
            Settle(transfer);
            var tenantSide = caller.IsTenantAdminOf(transfer.Account);
            var expected = CanSee(caller, transfer) && caller.Id != transfer.Requester
                && (tenantSide || caller.IsOperator(OperatorRole.SecurityAdmin))
                && transfer.State == TransferState.Requested
                && (!approve || (tenantSide ? transfer.TenantApprover : transfer.SecurityApprover) is null);
            var result = await TryAsync(() => approve ? f.Transfers.ApproveAsync(caller, transfer.Id) : f.Transfers.DenyAsync(caller, transfer.Id, null));
            Expect(expected, result.Code, verb);
            if (result.Value is { } record)
            {
                if (!approve)
                {
                    transfer.State = TransferState.Denied;
                    transfer.Actions.Add(AuditActions.TransferDeny);
                }
                else
                {
                    if (tenantSide)
                    {
                        transfer.TenantApprover = caller.Id;
                    }
                    else
                    {
                        transfer.SecurityApprover = caller.Id;
                    }

                    if (transfer.TenantApprover is not null && transfer.SecurityApprover is not null)
                    {
                        transfer.State = TransferState.Approved;
                    }

                    transfer.Actions.Add(AuditActions.TransferApprove);
                }

                Check(record.State == transfer.State, $"{transfer.Id} came back {record.State}, the model says {transfer.State}");
            }
        }

        private async Task RunTransferAsync()
        {
            if (PickTransfer(TransferState.Approved) is not { } transfer)
            {
                return;
            }

            var caller = Random.Next(3) != 0 ? Principals[Random.Next(2)] : Pick(Principals);
            Note($"run {transfer.Id} by {caller.Id}");
            Settle(transfer);
            var expected = CanSee(caller, transfer) && caller.IsOperator(OperatorRole.SystemAdmin)
                && transfer.State is TransferState.Approved or TransferState.Completed;
            var result = await TryAsync(() => f.Transfers.RunAsync(caller, transfer.Id));
            Expect(expected, result.Code, "run");
            if (result.Value is { } record && transfer.State == TransferState.Approved)
            {
                transfer.State = TransferState.Completed;
                transfer.Actions.Add(AuditActions.TransferComplete);
                // A blob another transfer copied already has its EU copy (naming that transfer): skipped.
                foreach (var blob in blobs.Where(blob => transfer.Covers(blob.Account, blob.Container, blob.Blob) && !transfers.Any(other => other.Copied.Contains(blob))))
                {
                    transfer.Copied.Add(blob);
                }

                Check(record.State == TransferState.Completed && record.ObjectsCopied == transfer.Copied.Count, $"{transfer.Id} ({transfer.Account}/{transfer.Container}/{transfer.Prefix}) ran to {record.State} with {record.ObjectsCopied} objects, the model expects {transfer.Copied.Count}: {string.Join(", ", transfer.Copied)}");
            }
        }

        private void JumpClock()
        {
            var pending = transfers.Where(t => t.State == TransferState.Requested && t.PendingExpiresOn > Now).Select(t => t.PendingExpiresOn).ToList();
            TimeSpan jump;
            if (pending.Count > 0 && Random.Next(3) == 0)
            {
                jump = Pick(pending) - Now - (Random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(1));
            }
            else
            {
                TimeSpan[] jumps = [TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromHours(8), TimeSpan.FromDays(1), TimeSpan.FromDays(2)];
                jump = Pick(jumps);
            }

            if (jump > TimeSpan.Zero)
            {
                Note($"clock +{jump}");
                f.Time.Advance(jump);
                Count("clock jumps");
            }
        }

        private async Task SweepAsync()
        {
            var pending = 0;
            foreach (var transfer in transfers)
            {
                Settle(transfer);
                if (transfer.State == TransferState.Expired && logs[transfer.Account].TransferActions(transfer.Id).Count == transfer.Actions.Count - 1)
                {
                    pending++;
                }
            }

            var moved = await f.Transfers.ExpireDueAsync();
            Note($"sweep: {moved} moved");
            Check(moved == pending, $"the sweep moved {moved} transfers, {pending} were due and unrecorded");
        }

        private async Task CrashAsync()
        {
            Note("crash: every service and the store connection built anew over the same database");
            await f.ReopenAsync();
            Count("crashes");
        }

        private static bool CanSee(AuthenticatedPrincipal caller, TransferModel transfer) =>
            caller.Kind == PrincipalKind.Operator || caller.IsTenantAdminOf(transfer.Account);

        private void Settle(TransferModel transfer)
        {
            if (transfer.State == TransferState.Requested && Now >= transfer.PendingExpiresOn)
            {
                transfer.State = TransferState.Expired;
                transfer.Actions.Add(AuditActions.TransferExpire);
            }
        }

        private TransferModel? PickTransfer(TransferState state)
        {
            if (transfers.Count == 0)
            {
                return null;
            }

            transfers.ForEach(Settle);
            var inState = transfers.Where(t => t.State == state).ToList();
            if (inState.Count == 0)
            {
                return Random.Next(3) == 0 ? Pick(transfers) : null;
            }

            return Random.Next(5) != 0 ? Pick(inState) : Pick(transfers);
        }

        private async Task CheckAsync(bool verify)
        {
            foreach (var reader in logs.Values)
            {
                await reader.ReadNewAsync(f.Audit);
            }

            // Copies outside the residency: only of completed transfers, on their destination, inside their scope, each logged.
            var euObjects = new HashSet<string>(StringComparer.Ordinal);
            foreach (var account in Accounts)
            {
                foreach (var blob in (await f.Store.ListBlobLocationsAsync(account, null, null, null, 1000)).Blobs)
                {
                    foreach (var stored in blob.Objects)
                    {
                        foreach (var copy in stored.Copies)
                        {
                            var where = $"{account}/{blob.Container}/{blob.Blob} ({stored.ObjectId}) on {copy.SiteId}";
                            if (copy.SiteId != AccessFixture.EuSite)
                            {
                                Check(copy.TransferId is null, $"{where}: a copy inside the residency names transfer {copy.TransferId}");
                                continue;
                            }

                            euObjects.Add(stored.ObjectId);
                            var transfer = transfers.FirstOrDefault(t => t.Id == copy.TransferId);
                            Check(transfer is not null && transfer.State == TransferState.Completed, $"{where}: an EU copy under transfer {copy.TransferId ?? "(none)"}, which is {transfer?.State.ToString() ?? "unknown"}");
                            Check(transfer!.Account == account && transfer.Covers(account, blob.Container, blob.Blob) && transfer.Destination == copy.SiteId, $"{where}: outside the scope of {transfer.Id} ({transfer.Account}/{transfer.Container}/{transfer.Prefix})");
                            Check(transfer.Copied.Contains((account, blob.Container, blob.Blob)), $"{where}: {transfer.Id} did not run while this blob existed");
                            Check(logs[account].CopyEntries(transfer.Id).Contains(stored.ObjectId), $"{where}: no Transfer.Copy entry for it");
                        }
                    }
                }
            }

            await foreach (var id in f.Sites.Get(AccessFixture.EuSite).Backend.ListObjectIdsAsync())
            {
                Check(euObjects.Contains(id), $"the EU site holds {id}, which no transfer copy references");
            }

            var stored2 = (await ((Storage.ITransferStore)f.Store).ListTransfersAsync(null, null, Limits.AccessRequestsPageMax)).ToDictionary(t => t.Id, StringComparer.Ordinal);
            Check(stored2.Count == transfers.Count, $"the store holds {stored2.Count} transfers, the model {transfers.Count}");
            foreach (var transfer in transfers)
            {
                Settle(transfer);
                var row = stored2[transfer.Id];
                var logged = logs[transfer.Account].TransferActions(transfer.Id);
                if (row.State == transfer.State)
                {
                    Check(logged.SequenceEqual(transfer.Actions), $"{transfer.Id} ({row.State}): logged {string.Join(",", logged)}, the model {string.Join(",", transfer.Actions)}");
                }
                else
                {
                    Check(transfer.State == TransferState.Expired && row.State == TransferState.Requested && logged.SequenceEqual(transfer.Actions.Take(transfer.Actions.Count - 1)), $"{transfer.Id}: stored {row.State}, the model {transfer.State}; logged {string.Join(",", logged)}");
                }

                Check(row.TenantApprover == transfer.TenantApprover && row.SecurityApprover == transfer.SecurityApprover, $"{transfer.Id}: stored approvers {row.TenantApprover}/{row.SecurityApprover}, the model {transfer.TenantApprover}/{transfer.SecurityApprover}");
                if (row.State is TransferState.Approved or TransferState.Completed)
                {
                    Check(row.TenantApprover is { } tenant && tenant.StartsWith(row.Account + "/", StringComparison.Ordinal) && row.SecurityApprover is { } security && security != row.Requester && security is "sam" or "sue", $"{transfer.Id} is {row.State} with approvers {row.TenantApprover}/{row.SecurityApprover}, requester {row.Requester}");
                }

                Check(logs[transfer.Account].CopyEntries(transfer.Id).Count == row.ObjectsCopied, $"{transfer.Id}: {row.ObjectsCopied} objects copied, {logs[transfer.Account].CopyEntries(transfer.Id).Count} Transfer.Copy entries");
                foreach (var entry in logs[transfer.Account].TransferEntries(transfer.Id))
                {
                    Check(entry.Justification == transfer.Purpose, $"{transfer.Id}: an entry {entry.Action} carries justification '{entry.Justification}'");
                }
            }

            if (verify)
            {
                await VerifyLogsAsync(f, logs.Keys);
            }
        }

        public string Summary()
        {
            var states = transfers.GroupBy(t => t.State).Select(group => $"{group.Key} {group.Count()}");
            return string.Create(CultureInfo.InvariantCulture, $"seed {Seed}: {transfers.Count} transfers ({string.Join(", ", states)}), {transfers.Sum(t => t.Copied.Count)} copies; ") + CountsText();
        }

    }

    private sealed record TransferModel(string Id, string Account, string Container, string? Prefix, string Destination, string Requester, string Purpose, DateTimeOffset PendingExpiresOn)
    {
        public TransferState State { get; set; } = TransferState.Requested;

        public string? TenantApprover { get; set; }

        public string? SecurityApprover { get; set; }

        public List<string> Actions { get; } = [];

        /// <summary>The blobs in scope when it ran (what it copied).</summary>
        public HashSet<(string Account, string Container, string Blob)> Copied { get; } = [];

        public bool Covers(string account, string container, string blob) =>
            account == Account && container == Container && (Prefix is null || blob.StartsWith(Prefix, StringComparison.Ordinal));
    }
}
