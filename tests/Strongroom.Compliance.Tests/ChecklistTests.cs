namespace Strongroom.Compliance.Tests;

/// <summary>Every automatic row passes on compliant evidence and fails on the one fact that breaks it; every manual row says what to examine.</summary>
public sealed class ChecklistTests
{
    private static readonly string[] ManualRows = ["IA-1", "IA-5", "OR-1", "IP-1", "IP-3", "MC-1", "KM-1", "BR-1", "BR-3", "PI-1", "DR-3", "SLA-1", "CR-1", "PS-1", "SM-1"];

    [Fact]
    public void Compliant_evidence_fails_no_row_and_row_ids_are_unique()
    {
        var report = ComplianceChecklist.Evaluate(Evidence.Compliant());

        Assert.False(report.AnyFailure, string.Join("\n", report.Rows.Where(row => row.Status == ComplianceStatus.Fail).Select(row => $"{row.Id}: {row.Evidence}")));
        Assert.Equal(report.Rows.Count, report.Rows.Select(row => row.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(report.Rows, row => Assert.False(string.IsNullOrWhiteSpace(row.Evidence), row.Id));
        Assert.All(report.Rows, row => Assert.False(string.IsNullOrWhiteSpace(row.Clause), row.Id));
    }

    [Fact]
    public void Manual_rows_are_manual_whatever_the_evidence_and_say_what_to_examine()
    {
        foreach (var evidence in new[] { Evidence.Compliant(), Evidence.Compliant() with { Development = true, Servers = [] } })
        {
            var report = ComplianceChecklist.Evaluate(evidence);
            foreach (var id in ManualRows)
            {
                var row = report.Rows.Single(row => row.Id == id);
                Assert.Equal(ComplianceStatus.Manual, row.Status);
                Assert.False(string.IsNullOrWhiteSpace(row.AssessorAction), id);
            }

            Assert.All(report.Rows.Where(row => row.Status != ComplianceStatus.Manual), row => Assert.Null(row.AssessorAction));
        }
    }

    [Theory]
    [InlineData(6, 15, 15)]
    [InlineData(5, 9, 15)]
    [InlineData(5, 15, 31)]
    public void IA_2_fails_lenient_sign_in_limits(int failures, int lockoutMinutes, int idleMinutes)
    {
        var evidence = Evidence.Compliant() with
        {
            SignIn = new SignInEvidence(12, 3, failures, TimeSpan.FromMinutes(lockoutMinutes), TimeSpan.FromMinutes(idleMinutes), TimeSpan.FromHours(8)),
        };

        Assert.Equal(["IA-2"], Evidence.Failed(evidence));
        Assert.Equal(ComplianceStatus.Pass, Evidence.Row(Evidence.Compliant(), "IA-2").Status);
    }

    [Fact]
    public void IA_3_and_DC_1_fail_plain_http_listeners_and_name_them()
    {
        var evidence = Evidence.Compliant() with { Servers = [new ServerEvidence("i-9", "host-b", ["http://10.0.0.2:10000/"], "http://10.0.0.2:10010/")] };

        Assert.Equal(new HashSet<string> { "IA-3", "DC-1" }, Evidence.Failed(evidence));
        Assert.Contains("i-9 (http://10.0.0.2:10010/)", Evidence.Row(evidence, "IA-3").Evidence, StringComparison.Ordinal);
        Assert.Contains("i-9 (http://10.0.0.2:10000/)", Evidence.Row(evidence, "DC-1").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void IA_3_passes_with_tls_and_names_the_versions()
    {
        var row = Evidence.Row(Evidence.Compliant(), "IA-3");

        Assert.Equal(ComplianceStatus.Pass, row.Status);
        Assert.Contains("TLS 1.2, TLS 1.3", row.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Transport_rows_are_manual_with_no_live_server_and_fail_in_development()
    {
        var offline = Evidence.Compliant() with { Servers = [] };
        Assert.Equal(ComplianceStatus.Manual, Evidence.Row(offline, "IA-3").Status);
        Assert.Equal(ComplianceStatus.Manual, Evidence.Row(offline, "DC-1").Status);
        Assert.Equal(ComplianceStatus.Manual, Evidence.Row(offline, "NW-1").Status);

        var development = Evidence.Compliant() with { Development = true };
        Assert.Equal(new HashSet<string> { "IA-3", "DC-1", "AC-1", "KM-2" }, Evidence.Failed(development));
    }

    [Fact]
    public void DC_1_fails_a_remote_site_over_http_unless_removed()
    {
        var plainSite = new SiteEvidence("cn-north-1b", "cn-north", "cn-north-1", "CN", "active", "azure-blob", "http");
        var evidence = Evidence.Compliant() with { Sites = [.. Evidence.Compliant().Sites, plainSite] };

        Assert.Equal(["DC-1"], Evidence.Failed(evidence));
        Assert.Contains("cn-north-1b", Evidence.Row(evidence, "DC-1").Evidence, StringComparison.Ordinal);
        Assert.Empty(Evidence.Failed(evidence with { Sites = [.. Evidence.Compliant().Sites, plainSite with { State = "removed" }] }));
    }

    [Fact]
    public void IA_4_fails_naming_every_enabled_principal_without_a_second_factor()
    {
        var evidence = Evidence.Compliant() with
        {
            Principals =
            [
                .. Evidence.Compliant().Principals,
                new PrincipalEvidence("operator", "weak-op", "audit-admin", "none", Disabled: false),
                new PrincipalEvidence("tenant-admin", "acme/weak", null, "none", Disabled: false),
                new PrincipalEvidence("operator", "gone", "system-admin", "none", Disabled: true),
            ],
        };

        var row = Evidence.Row(evidence, "IA-4");
        Assert.Equal(["IA-4"], Evidence.Failed(evidence));
        Assert.Contains("operator weak-op", row.Evidence, StringComparison.Ordinal);
        Assert.Contains("tenant-admin acme/weak", row.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("gone", row.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void AC_2_fails_when_a_role_has_no_enabled_operator()
    {
        var withoutAudit = Evidence.Compliant() with
        {
            Principals = [.. Evidence.Compliant().Principals.Select(p => p.Role == "audit-admin" ? p with { Disabled = true } : p)],
        };

        var row = Evidence.Row(withoutAudit, "AC-2");
        Assert.Equal(ComplianceStatus.Fail, row.Status);
        Assert.Contains("audit-admin", row.Evidence, StringComparison.Ordinal);
        Assert.Contains("aud", Evidence.Row(Evidence.Compliant(), "AC-2").Evidence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    public void KM_2_fails_a_weak_seal(int shares, int threshold)
    {
        var evidence = Evidence.Compliant() with { Seal = new SealEvidence(true, shares, threshold) };

        Assert.Equal(["KM-2"], Evidence.Failed(evidence));
    }

    [Fact]
    public void KM_2_passes_two_of_three_and_fails_an_uninitialised_vault()
    {
        Assert.Equal(ComplianceStatus.Pass, Evidence.Row(Evidence.Compliant() with { Seal = new SealEvidence(true, 3, 2) }, "KM-2").Status);
        Assert.Equal(ComplianceStatus.Fail, Evidence.Row(Evidence.Compliant() with { Seal = new SealEvidence(false, 0, 0) }, "KM-2").Status);
    }

    [Fact]
    public void AU_1_fails_when_the_platform_log_is_missing_empty_or_broken()
    {
        var compliant = Evidence.Compliant();
        Assert.Equal(ComplianceStatus.Fail, Evidence.Row(compliant with { Logs = [.. compliant.Logs.Skip(1)] }, "AU-1").Status);
        Assert.Equal(ComplianceStatus.Fail, Evidence.Row(compliant with { Logs = [new LogEvidence("$platform", 0, true, "verified 0 entries"), compliant.Logs[1]] }, "AU-1").Status);

        var broken = compliant with { Logs = [new LogEvidence("$platform", 12, false, "RootMismatch: the entries do not hash to the root"), compliant.Logs[1]] };
        Assert.Equal(new HashSet<string> { "AU-1", "AU-3" }, Evidence.Failed(broken));
        Assert.Contains("RootMismatch", Evidence.Row(broken, "AU-1").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void AU_3_fails_a_retention_under_six_months_on_an_account_or_the_platform()
    {
        var compliant = Evidence.Compliant();
        var shortAccount = compliant with { Accounts = [Evidence.Account("acme") with { AuditRetentionDays = 180 }] };
        Assert.Equal(["AU-3"], Evidence.Failed(shortAccount));
        Assert.Contains("acme (180 days)", Evidence.Row(shortAccount, "AU-3").Evidence, StringComparison.Ordinal);

        Assert.Equal(["AU-3"], Evidence.Failed(compliant with { PlatformLogRetentionDays = 182 }));

        // A destroyed account's setting no longer matters (its log keeps its hashes).
        Assert.Empty(Evidence.Failed(compliant with { Accounts = [Evidence.Account("acme"), Evidence.Account("old") with { State = "destroyed", AuditRetentionDays = 180, KeyEncryptionKeyPresent = false }] }));
    }

    [Fact]
    public void AU_7_fails_an_account_whose_log_is_missing_or_broken()
    {
        var compliant = Evidence.Compliant();
        var missing = compliant with { Accounts = [Evidence.Account("acme"), Evidence.Account("beta")] };
        Assert.Equal(["AU-7"], Evidence.Failed(missing));
        Assert.Contains("beta", Evidence.Row(missing, "AU-7").Evidence, StringComparison.Ordinal);

        var broken = compliant with { Logs = [compliant.Logs[0], new LogEvidence("acme", 7, false, "EntryMismatch: entry 3")] };
        Assert.Equal(new HashSet<string> { "AU-3", "AU-7" }, Evidence.Failed(broken));
    }

    [Fact]
    public void AU_4_passes_by_construction()
    {
        Assert.Equal(ComplianceStatus.Pass, Evidence.Row(Evidence.Compliant(), "AU-4").Status);
    }

    [Fact]
    public void OA_1_fails_a_grant_missing_an_approval_or_approved_by_its_requester()
    {
        var good = new GrantEvidence("g1", "acme", "active", "sys", "acme/alice", "sec");
        var compliant = Evidence.Compliant() with { Grants = [good, new GrantEvidence("g0", "acme", "requested", "sys", null, null)] };
        Assert.Empty(Evidence.Failed(compliant));
        Assert.Contains("active 1", Evidence.Row(compliant, "OA-1").Evidence, StringComparison.Ordinal);

        Assert.Equal(["OA-1"], Evidence.Failed(compliant with { Grants = [good with { SecurityApprover = null }] }));
        Assert.Equal(["OA-1"], Evidence.Failed(compliant with { Grants = [good with { SecurityApprover = "sys" }] }));
        Assert.Contains("g1 (acme, ended)", Evidence.Row(compliant with { Grants = [good with { State = "ended", TenantApprover = null }] }, "OA-1").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void DC_2_fails_an_account_without_its_kek_or_an_object_without_a_wrapped_key()
    {
        var compliant = Evidence.Compliant();
        Assert.Equal(["DC-2"], Evidence.Failed(compliant with { Accounts = [Evidence.Account("acme") with { KeyEncryptionKeyPresent = false }] }));
        var unwrapped = compliant with { Accounts = [Evidence.Account("acme") with { ObjectsWithoutWrappedKey = 2 }] };
        Assert.Equal(["DC-2"], Evidence.Failed(unwrapped));
        Assert.Contains("acme (2)", Evidence.Row(unwrapped, "DC-2").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void BR_2_fails_an_account_keeping_one_copy_or_an_object_with_a_single_copy()
    {
        var compliant = Evidence.Compliant();
        Assert.Equal(["BR-2"], Evidence.Failed(compliant with { Accounts = [Evidence.Account("acme") with { RedundancyCopies = 1 }] }));
        Assert.Equal(["BR-2"], Evidence.Failed(compliant with { Accounts = [Evidence.Account("acme") with { ObjectsWithOneCopy = 1 }] }));
        Assert.Contains("acme 2 (cn-east-1a, cn-east-2a)", Evidence.Row(compliant, "BR-2").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void RI_1_verifies_every_certificate_of_every_destruction()
    {
        var compliant = Evidence.Compliant();
        var good = new DestructionEvidence("d1", "acme", "completed", 2, 2, null);
        Assert.Empty(Evidence.Failed(compliant with { Destructions = [good, new DestructionEvidence("d2", "acme", "sweeping", 1, 1, null)] }));
        Assert.Equal(["RI-1"], Evidence.Failed(compliant with { Destructions = [good with { CertificatesVerified = 1, Failure = "revision 2: Signature: does not verify" }] }));
        Assert.Equal(["RI-1"], Evidence.Failed(compliant with { Destructions = [good with { Certificates = 0, CertificatesVerified = 0 }] }));
        Assert.Contains("No destruction yet", Evidence.Row(compliant, "RI-1").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void DR_1_fails_a_site_outside_china_and_says_unspecified_for_zz()
    {
        var compliant = Evidence.Compliant();
        var evidence = compliant with { Sites = [.. compliant.Sites, new SiteEvidence("local", "local", "local-1", "ZZ", "active", "directory", null)] };
        Assert.Equal(["DR-1"], Evidence.Failed(evidence));
        Assert.Contains("local (unspecified)", Evidence.Row(evidence, "DR-1").Evidence, StringComparison.Ordinal);
        Assert.Empty(Evidence.Failed(compliant with { Sites = [.. compliant.Sites, new SiteEvidence("eu", "eu-west", "eu-west-1", "EU", "removed", "directory", null)] }));
    }

    [Fact]
    public void DR_2_fails_a_copy_outside_the_residency_or_a_residency_outside_china()
    {
        var compliant = Evidence.Compliant();
        var stray = compliant with { Accounts = [Evidence.Account("acme") with { Copies = [new CopyEvidence("eu-west-1a", "EU", "present", null, 3)] }] };
        Assert.Equal(["DR-2"], Evidence.Failed(stray));
        Assert.Contains("3 copies on eu-west-1a (EU)", Evidence.Row(stray, "DR-2").Evidence, StringComparison.Ordinal);

        Assert.Equal(["DR-2"], Evidence.Failed(compliant with { Accounts = [Evidence.Account("acme") with { Residency = ["CN", "EU"] }] }));
    }

    [Fact]
    public void DR_2_and_XB_1_accept_copies_outside_the_residency_only_under_an_approved_transfer_to_that_site()
    {
        var transfer = new TransferEvidence("t1", "acme", "eu-west-1a", "EU", "standard-contract", "completed", "acme/alice", "sec");
        var account = Evidence.Account("acme") with { Copies = [.. Evidence.Account("acme").Copies, new CopyEvidence("eu-west-1a", "EU", "present", "t1", 2)] };
        var compliant = Evidence.Compliant() with { Accounts = [account], Transfers = [transfer] };
        Assert.Empty(Evidence.Failed(compliant));
        Assert.Contains("2 copies outside it under approved transfers", Evidence.Row(compliant, "DR-2").Evidence, StringComparison.Ordinal);
        Assert.Contains("t1 acme → eu-west-1a (EU) standard-contract completed", Evidence.Row(compliant, "XB-1").Evidence, StringComparison.Ordinal);

        Assert.Equal(["DR-2"], Evidence.Failed(compliant with { Transfers = [transfer with { State = "denied" }] }));
        Assert.Equal(["DR-2"], Evidence.Failed(compliant with { Transfers = [transfer with { DestinationSiteId = "eu-west-2a" }] }));
        Assert.Equal(["XB-1"], Evidence.Failed(compliant with { Transfers = [transfer with { SecurityApprover = null }] }));
    }

    [Fact]
    public void NW_1_fails_a_server_answering_management_on_its_data_endpoint()
    {
        var evidence = Evidence.Compliant() with { Servers = [new ServerEvidence("i-1", "host-a", ["https://10.0.0.1:10000/"], "https://10.0.0.1:10000/")] };

        Assert.Equal(["NW-1"], Evidence.Failed(evidence));
    }

    [Fact]
    public void AC_1_fails_only_a_development_deployment()
    {
        Assert.Equal(ComplianceStatus.Pass, Evidence.Row(Evidence.Compliant(), "AC-1").Status);
        Assert.Equal(ComplianceStatus.Fail, Evidence.Row(Evidence.Compliant() with { Development = true }, "AC-1").Status);
    }

    [Fact]
    public void The_weak_deployment_fails_exactly_its_weaknesses()
    {
        // Plain HTTP allowed, one share, an operator without a second factor, a retention too short.
        var compliant = Evidence.Compliant();
        var weak = compliant with
        {
            Servers = [new ServerEvidence("i-1", "host-a", ["http://10.0.0.1:10000/"], "http://10.0.0.1:10010/")],
            Seal = new SealEvidence(true, 1, 1),
            Principals = [.. compliant.Principals, new PrincipalEvidence("operator", "weak", "audit-admin", "none", Disabled: false)],
            Accounts = [Evidence.Account("acme") with { AuditRetentionDays = 180 }],
        };

        Assert.Equal(new HashSet<string> { "IA-3", "IA-4", "KM-2", "AU-3", "DC-1" }, Evidence.Failed(weak));
    }
}
