using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Cross-border transfers end to end on a production server whose topology has three CN sites
/// (one region, three zones) and one EU site: an account limited to CN, blobs written with the
/// Azure SDK, and the whole route over the management plane (JSON and the CLI with a session file):
/// request by a system admin, the refused approvals (the requester, another account's tenant
/// administrator, the same side twice), the tenant's and a security admin's approvals, the run by
/// a system admin only; then exactly the approved objects on the EU site's disk, the copies in the
/// account's locations naming the transfer, a deleted blob's EU copy removed, and every step in the
/// account's transparency log with the purpose as justification.
/// </summary>
public sealed class TransferTests
{
    private const string Account = "acme";
    private const string OtherAccount = "globex";
    private const string EuSite = "eu1";
    private const string Purpose = "Group audit of the 2024 EU subsidiary reports";
    private const string LegalReference = "SC-FILING-2024-0042";

    private static readonly string Topology = """
        # Written by the conformance tests (TransferTests).
        version = 1

        [[site]]
        id = "cn1"
        region = "cn-east"
        zone = "cn-east-1"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn1"

        [[site]]
        id = "cn2"
        region = "cn-east"
        zone = "cn-east-2"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn2"

        [[site]]
        id = "cn3"
        region = "cn-east"
        zone = "cn-east-3"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn3"

        [[site]]
        id = "eu1"
        region = "eu-west"
        zone = "eu-west-1"
        jurisdiction = "EU"
        backend = "directory"
        path = "sites/eu1"

        """;

    [Fact]
    public async Task An_approved_transfer_copies_exactly_its_data_to_the_eu_site_and_every_step_is_in_the_tenants_log()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("transfer", shares: 1, threshold: 1, topology: Topology);
        using var api = new ManagementApi(server);

        // The account, limited to CN, and another account whose administrator must see nothing.
        var key = AccountKeys.Parse(await server.RunCliAsync("account", "create", Account, "--residency", "CN", "--primary-region", "cn-east", "--redundancy", "LRS")).Key1;
        TestLogs.RecordSecret("account key", key);
        await server.CreateAccountAsync(OtherAccount);

        // Blobs in two containers and under two prefixes: only reports/eu/* is asked for.
        var service = server.ServiceClient(Account, key);
        var reports = service.GetBlobContainerClient("reports");
        var archive = service.GetBlobContainerClient("archive");
        await reports.CreateAsync();
        await archive.CreateAsync();
        string[] approved = ["eu/q1.csv", "eu/q2.csv", "eu/q3.csv"];
        string[] notApproved = ["cn/q1.csv", "cn/q2.csv", "euro.csv"];
        foreach (var name in approved.Concat(notApproved))
        {
            await reports.GetBlobClient(name).UploadAsync(new BinaryData(Payloads.For("reports/" + name, 4000)));
        }

        await archive.GetBlobClient("eu/q1.csv").UploadAsync(new BinaryData(Payloads.For("archive/eu/q1.csv", 4000)));

        // Principals: the first security admin on the host, a system admin and a second security
        // admin through the plane, a tenant administrator of each account on the host.
        var security = await Principals.CreateFirstOperatorAsync(server, "sec-one");
        var securityToken = await security.LoginAsync(api);
        var system = await Principals.CreateOperatorAsync(api, securityToken, "sys-one", "system-admin");
        var secondSecurity = await Principals.CreateOperatorAsync(api, securityToken, "sec-two", "security-admin");
        var tenant = await Principals.CreateTenantAdminAsync(server, Account, "tina");
        var stranger = await Principals.CreateTenantAdminAsync(server, OtherAccount, "gus");
        var systemToken = await system.LoginAsync(api);
        var secondSecurityToken = await secondSecurity.LoginAsync(api);
        var tenantToken = await tenant.LoginAsync(api);
        var strangerToken = await stranger.LoginAsync(api);
        var systemSession = Principals.WriteSession(server, "sys-one", "operator", null, systemToken);
        var tenantSession = Principals.WriteSession(server, "tina", "tenant-admin", Account, tenantToken);

        // A site inside the residency needs no transfer, and a transfer of an unknown container is refused.
        var inside = await api.PostAsync("v1/transfers", Request("reports", "eu/", "cn2"), systemToken);
        Assert.Equal(HttpStatusCode.BadRequest, inside.Status);
        Assert.Equal("InvalidAccessRequest", inside.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("v1/transfers", Request("nosuch", null, EuSite), systemToken)).Status);
        Assert.Equal("RoleNotPermitted", (await api.PostAsync("v1/transfers", Request("reports", "eu/", EuSite), securityToken)).ErrorCode);

        // The request, by the system admin.
        var requested = await api.PostAsync("v1/transfers", Request("reports", "eu/", EuSite), systemToken);
        Assert.Equal(HttpStatusCode.Created, requested.Status);
        var id = requested.Text("id");
        Assert.StartsWith("tr-", id, StringComparison.Ordinal);
        Assert.Equal("requested", requested.Text("state"));
        Assert.Equal("sys-one", requested.Text("requester"));
        Assert.Equal("standard-contract", requested.Text("legalBasis"));

        // Not approved: nothing may be copied.
        var early = await api.PostAsync($"v1/transfers/{id}/run", null, systemToken);
        Assert.Equal(HttpStatusCode.Forbidden, early.Status);
        Assert.Equal("TransferNotApproved", early.ErrorCode);

        // The requester does not approve; another account's administrator does not even see it.
        var self = await api.PostAsync($"v1/transfers/{id}/approve", null, systemToken);
        Assert.Equal(HttpStatusCode.Forbidden, self.Status);
        Assert.Equal("SelfApprovalNotAllowed", self.ErrorCode);
        var foreign = await api.PostAsync($"v1/transfers/{id}/approve", null, strangerToken);
        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        Assert.Equal("TransferNotFound", foreign.ErrorCode);
        Assert.Equal(0, (await api.GetAsync("v1/transfers", strangerToken)).Ok().Body.GetProperty("transfers").GetArrayLength());

        // The tenant approves with the CLI (session file, --ca-cert); the same side twice is refused.
        var tenantApproval = await server.RunCommandAsync(null, "transfer", "approve", id, "--session", tenantSession, "--ca-cert", server.CertificatePath, "--json");
        Assert.True(tenantApproval.ExitCode == 0, tenantApproval.ToString());
        using (var approval = JsonDocument.Parse(tenantApproval.StandardOutput))
        {
            Assert.Equal("requested", approval.RootElement.GetProperty("state").GetString());
            Assert.Equal("acme/tina", approval.RootElement.GetProperty("tenantApprover").GetString());
            Assert.False(approval.RootElement.TryGetProperty("securityApprover", out _));
        }

        var twice = await server.RunCommandAsync(null, "transfer", "approve", id, "--session", tenantSession, "--ca-cert", server.CertificatePath);
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("SelfApprovalNotAllowed", twice.StandardError, StringComparison.Ordinal);
        Assert.Equal("TransferNotApproved", (await api.PostAsync($"v1/transfers/{id}/run", null, systemToken)).ErrorCode);

        // The security admin's approval makes it approved.
        var approvedTransfer = (await api.PostAsync($"v1/transfers/{id}/approve", null, securityToken)).Ok();
        Assert.Equal("approved", approvedTransfer.Text("state"));
        Assert.Equal("sec-one", approvedTransfer.Text("securityApprover"));
        Assert.Equal("InvalidAccessState", (await api.PostAsync($"v1/transfers/{id}/approve", null, secondSecurityToken)).ErrorCode);

        // Only a system admin runs it.
        var tenantRun = await api.PostAsync($"v1/transfers/{id}/run", null, tenantToken);
        Assert.Equal(HttpStatusCode.Forbidden, tenantRun.Status);
        Assert.Equal("RoleNotPermitted", tenantRun.ErrorCode);
        Assert.Empty(EuObjectFiles(server));

        var run = await server.RunCommandAsync(null, "transfer", "run", id, "--session", systemSession, "--ca-cert", server.CertificatePath, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using (var completed = JsonDocument.Parse(run.StandardOutput))
        {
            Assert.Equal("completed", completed.RootElement.GetProperty("state").GetString());
            Assert.Equal(approved.Length, completed.RootElement.GetProperty("objectsCopied").GetInt64());
            Assert.True(completed.RootElement.GetProperty("bytesCopied").GetInt64() >= approved.Length * 4000L);
            Assert.True(completed.RootElement.TryGetProperty("completedOn", out _));
        }

        // Running it again copies nothing more.
        var again = (await api.PostAsync($"v1/transfers/{id}/run", null, systemToken)).Ok();
        Assert.Equal(approved.Length, again.Body.GetProperty("objectsCopied").GetInt64());

        // The EU site holds exactly the approved blobs' objects, as the locations say.
        var reportCopies = await CopiesAsync(server, "reports");
        var archiveCopies = await CopiesAsync(server, "archive");
        var euCopies = reportCopies.Where(copy => copy.Site == EuSite).ToList();
        Assert.Equal(approved.Order(StringComparer.Ordinal), euCopies.Select(copy => copy.Blob).Order(StringComparer.Ordinal));
        Assert.All(euCopies, copy =>
        {
            Assert.Equal("EU", copy.Jurisdiction);
            Assert.Equal("present", copy.State);
            Assert.Equal(id, copy.Transfer);
        });
        Assert.All(reportCopies.Concat(archiveCopies).Where(copy => copy.Site != EuSite), copy =>
        {
            Assert.Equal("CN", copy.Jurisdiction);
            Assert.Null(copy.Transfer);
        });
        Assert.DoesNotContain(archiveCopies, copy => copy.Site == EuSite);
        var euObjects = euCopies.Select(copy => copy.ObjectId).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(euObjects, EuObjectFiles(server).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The tenant reads the same over the plane.
        var tenantLocations = await server.RunCommandAsync(null, "account", "locations", Account, "--container", "reports", "--session", tenantSession, "--ca-cert", server.CertificatePath, "--json");
        Assert.True(tenantLocations.ExitCode == 0, tenantLocations.ToString());
        Assert.Contains($"\"transfer\":\"{id}\"", tenantLocations.StandardOutput.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        // The data reads back unchanged through the data plane.
        foreach (var name in approved)
        {
            Assert.Equal(Payloads.For("reports/" + name, 4000), (await reports.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());
        }

        // A denied transfer cannot be run, nor approved afterwards.
        var other = (await api.PostAsync("v1/transfers", Request("archive", null, EuSite), systemToken)).Ok();
        var otherId = other.Text("id");
        var denied = (await api.PostAsync($"v1/transfers/{otherId}/deny", new { reason = "Not covered by the filing" }, secondSecurityToken)).Ok();
        Assert.Equal("denied", denied.Text("state"));
        Assert.Equal("sec-two", denied.Text("decidedBy"));
        Assert.Equal("TransferNotApproved", (await api.PostAsync($"v1/transfers/{otherId}/run", null, systemToken)).ErrorCode);
        var lateApproval = await api.PostAsync($"v1/transfers/{otherId}/approve", null, tenantToken);
        Assert.Equal(HttpStatusCode.Conflict, lateApproval.Status);
        Assert.Equal("InvalidAccessState", lateApproval.ErrorCode);
        Assert.DoesNotContain(await CopiesAsync(server, "archive"), copy => copy.Site == EuSite);

        // The lists: the tenant sees its account's two transfers, filtered by state.
        var listed = await server.RunCommandAsync(null, "transfer", "list", "--state", "completed", "--session", tenantSession, "--ca-cert", server.CertificatePath, "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using (var list = JsonDocument.Parse(listed.StandardOutput))
        {
            Assert.Equal([id], list.RootElement.GetProperty("transfers").EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        }

        Assert.Equal(2, (await api.GetAsync($"v1/transfers?account={Account}", tenantToken)).Ok().Body.GetProperty("transfers").GetArrayLength());

        // Deleting an approved and copied blob removes its EU copy as well.
        var deleted = euCopies.Single(copy => copy.Blob == approved[0]);
        await reports.GetBlobClient(approved[0]).DeleteAsync();
        await DatacenterFixture.EventuallyAsync($"{deleted.ObjectId} gone from {EuSite}", () =>
            Task.FromResult((!EuObjectFiles(server).Any(file => Path.GetFileName(file) == deleted.ObjectId), string.Join(", ", EuObjectFiles(server).Select(Path.GetFileName)))));
        Assert.Equal(approved.Length - 1, EuObjectFiles(server).Count);

        // The account's log: every step, the purpose as justification, the EU site and its jurisdiction.
        var entries = await AccountLogAsync(server);
        var ofTransfer = entries.Where(entry => entry.Action.StartsWith("Transfer.", StringComparison.Ordinal) && entry.Details.GetValueOrDefault("transferId") == id).ToList();
        Assert.Equal(
            [AuditActions.TransferRequest, AuditActions.TransferApprove, AuditActions.TransferApprove, .. approved.Select(_ => AuditActions.TransferCopy), AuditActions.TransferComplete],
            ofTransfer.Select(entry => entry.Action));
        Assert.All(ofTransfer, entry =>
        {
            Assert.Equal(Purpose, entry.Justification);
            Assert.Equal([EuSite], entry.Sites);
            Assert.Equal(["EU"], entry.Jurisdictions);
            Assert.Equal("standard-contract", entry.Details["legalBasis"]);
            Assert.Equal(LegalReference, entry.Details["legalReference"]);
        });
        Assert.Equal("operator:sys-one", ofTransfer[0].Actor);
        Assert.Equal(["tenant-admin:acme/tina", "operator:sec-one"], ofTransfer.Where(entry => entry.Action == AuditActions.TransferApprove).Select(entry => entry.Actor));
        Assert.Equal(
            euObjects,
            ofTransfer.Where(entry => entry.Action == AuditActions.TransferCopy).Select(entry => entry.Details["objectId"]).Order(StringComparer.Ordinal));
        Assert.Equal(approved.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ofTransfer[^1].Details["objectsCopied"]);

        var ofDenied = entries.Where(entry => entry.Details.GetValueOrDefault("transferId") == otherId).ToList();
        Assert.Equal([AuditActions.TransferRequest, AuditActions.TransferDeny], ofDenied.Select(entry => entry.Action));
        Assert.Equal("Not covered by the filing", ofDenied[1].Details["reason"]);

        // The refusals left nothing in the account's log under the transfer's name but these.
        Assert.DoesNotContain(entries, entry => entry.Action == AuditActions.TransferCopy && entry.Details.GetValueOrDefault("transferId") == otherId);

        // No token reached the CLI's output.
        foreach (var text in new[] { tenantApproval.StandardOutput, run.StandardOutput, listed.StandardOutput, twice.StandardError })
        {
            Assert.DoesNotContain("srsession1.", text, StringComparison.Ordinal);
        }
    }

    private static object Request(string container, string? prefix, string destination) => new
    {
        account = Account,
        container,
        prefix,
        destinationSite = destination,
        legalBasis = "standard-contract",
        legalReference = LegalReference,
        purpose = Purpose,
    };

    /// <summary>Committed object files on the EU site's directory (partial writes live in <c>tmp/</c>).</summary>
    private static IReadOnlyList<string> EuObjectFiles(StrongroomProcess server)
    {
        var objects = Path.Combine(server.DataDirectory, "sites", EuSite, "objects");
        return Directory.Exists(objects) ? Directory.GetFiles(objects, "*", SearchOption.AllDirectories) : [];
    }

    private sealed record Copy(string Blob, string ObjectId, string Site, string Jurisdiction, string State, string? Transfer);

    /// <summary>Every copy of the container's blobs, from <c>account locations A --container C --data DIR --json</c> (one page: the test writes few blobs).</summary>
    private static async Task<IReadOnlyList<Copy>> CopiesAsync(StrongroomProcess server, string container)
    {
        var result = await server.RunCliAsync("account", "locations", Account, "--container", container, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.False(json.RootElement.TryGetProperty("nextMarker", out _));
        return
        [
            .. from blob in json.RootElement.GetProperty("blobs").EnumerateArray()
               from stored in blob.GetProperty("objects").EnumerateArray()
               from copy in stored.GetProperty("copies").EnumerateArray()
               select new Copy(
                   blob.GetProperty("blob").GetString()!,
                   stored.GetProperty("id").GetString()!,
                   copy.GetProperty("site").GetString()!,
                   copy.GetProperty("jurisdiction").GetString()!,
                   copy.GetProperty("state").GetString()!,
                   copy.TryGetProperty("transfer", out var transfer) ? transfer.GetString() : null),
        ];
    }

    private sealed record LogEntry(string Actor, string Action, string? Justification, IReadOnlyList<string> Sites, IReadOnlyList<string> Jurisdictions, IReadOnlyDictionary<string, string> Details);

    /// <summary>The account's transparency log, from <c>audit export --account A --data DIR</c> (JSON lines).</summary>
    private static async Task<IReadOnlyList<LogEntry>> AccountLogAsync(StrongroomProcess server)
    {
        var result = await server.RunCliAsync("audit", "export", "--account", Account);
        Assert.True(result.ExitCode == 0, result.ToString());
        var entries = new List<LogEntry>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (!document.RootElement.TryGetProperty("entry", out var entry))
            {
                continue;
            }

            var actor = entry.GetProperty("actor");
            entries.Add(new LogEntry(
                actor.GetProperty("kind").GetString() + ":" + actor.GetProperty("id").GetString(),
                entry.GetProperty("action").GetString()!,
                entry.TryGetProperty("justification", out var justification) ? justification.GetString() : null,
                Strings(entry, "sites"),
                Strings(entry, "jurisdictions"),
                entry.TryGetProperty("details", out var details)
                    ? details.EnumerateObject().ToDictionary(member => member.Name, member => member.Value.GetString()!, StringComparer.Ordinal)
                    : new Dictionary<string, string>(StringComparer.Ordinal)));
        }

        return entries;
    }

    private static IReadOnlyList<string> Strings(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var list) ? [.. list.EnumerateArray().Select(item => item.GetString()!)] : [];
}
