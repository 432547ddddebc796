using System.Globalization;

namespace Strongroom.Compliance;

/// <summary>
/// The MLPS 2.0 level-3 (GB/T 22239-2019) checklist with the CSL and PIPL items, evaluated as pure
/// functions over a <see cref="ComplianceEvidence"/> snapshot. Row ids follow the machine-checkable
/// checklist of the reference (IA, AC, AU, DC, BR, RI, PI, DR, OA, IP, MC, NW, SLA, CR); rows the
/// reference does not have get ids of their own (KM-2 the seal, XB-1 cross-border transfers, OR-1
/// the administrators' posts, PS-1 physical security, SM-1 the security rules). Thresholds marked
/// "assessor practice" are common assessment practice, not numbers from the standard.
/// </summary>
public static class ComplianceChecklist
{
    /// <summary>CSL art. 21: network logs kept no less than six months; 183 days is the assessor practice (180 days is shorter than most six-month spans).</summary>
    public const int LogRetentionDaysMin = 183;

    /// <summary>Assessor practice for 8.1.4.1b: at most 5 failures before a lockout of at least 10 minutes, sessions ending after at most 30 idle minutes.</summary>
    public const int LoginFailuresMax = 5;

    public static readonly TimeSpan LockoutMin = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan SessionIdleTimeoutMax = TimeSpan.FromMinutes(30);

    /// <summary>Unsealing is an important operation (8.1.7.3): at least two custodians of at least three.</summary>
    public const int SealThresholdMin = 2;

    public const int SealSharesMin = 3;

    /// <summary>The jurisdiction the cloud extension's localisation rows require (8.2.1.1, 8.2.4.5a).</summary>
    public const string China = "CN";

    /// <summary>The three operator roles the three-admin split (三权分立) needs.</summary>
    public static readonly IReadOnlyList<string> AdminRoles = ["system-admin", "security-admin", "audit-admin"];

    /// <summary>Every row, in report order.</summary>
    public static IReadOnlyList<Func<ComplianceEvidence, ComplianceRow>> Rows { get; } =
    [
        IdentityCredentials,
        SignInLimits,
        ManagementTransport,
        SecondFactor,
        MutualAuthentication,
        DefaultAccounts,
        AdminSeparation,
        AdminPosts,
        SealThreshold,
        AuditCoversOperators,
        LogRetentionAndIntegrity,
        AuditFailClosed,
        CustomerVisibleLogs,
        OperatorAccess,
        IntrusionPrevention,
        Patching,
        MalwareProtection,
        TransportEncryption,
        EncryptionAtRest,
        CustomerKeys,
        LocalBackup,
        OffSiteCopies,
        HotRedundancy,
        ResidualInformation,
        PersonalInformation,
        InfrastructureInChina,
        DataInResidency,
        CrossBorderTransfers,
        OperationsLocation,
        ManagementSeparation,
        ServiceAgreement,
        CommercialCryptography,
        PhysicalSecurity,
        SecurityManagement,
    ];

    public static ComplianceReport Evaluate(ComplianceEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return new ComplianceReport(evidence.DeploymentId, evidence.CollectedOn, [.. Rows.Select(row => row(evidence))]);
    }

    // Identity authentication (8.1.4.1, 8.2.4.1)

    internal static ComplianceRow IdentityCredentials(ComplianceEvidence e) => Manual(
        "IA-1", "GB/T 22239 8.1.4.1a", "Identity authentication", "Unique identities, complex credentials, periodic change.",
        $"Principal ids are unique (the store's key); passwords have at least {e.SignIn.PasswordCharsMin} characters mixing {e.SignIn.PasswordClassesMin} of 4 character classes, stored as Argon2id. {Count(e.Principals.Count(p => !p.Disabled), "enabled principal")}.",
        "Strongroom does not expire passwords: check the organisation's rule and record of periodic password change for every operator and tenant administrator.");

    internal static ComplianceRow SignInLimits(ComplianceEvidence e)
    {
        var s = e.SignIn;
        var problems = new List<string>();
        if (s.LoginFailuresMax > LoginFailuresMax)
        {
            problems.Add($"{s.LoginFailuresMax} failures allowed (at most {LoginFailuresMax})");
        }

        if (s.Lockout < LockoutMin)
        {
            problems.Add($"lockout {Minutes(s.Lockout)} (at least {Minutes(LockoutMin)})");
        }

        if (s.SessionIdleTimeout > SessionIdleTimeoutMax)
        {
            problems.Add($"idle timeout {Minutes(s.SessionIdleTimeout)} (at most {Minutes(SessionIdleTimeoutMax)})");
        }

        return Decide(
            "IA-2", "GB/T 22239 8.1.4.1b", "Identity authentication", "Login-failure handling (limited attempts, lockout) and automatic logout on timeout.",
            problems,
            $"Lockout after {s.LoginFailuresMax} failed sign-ins for {Minutes(s.Lockout)}; sessions end after {Minutes(s.SessionIdleTimeout)} idle and {Minutes(s.SessionLifetimeMax)} at most.");
    }

    internal static ComplianceRow ManagementTransport(ComplianceEvidence e)
    {
        const string Id = "IA-3", Clause = "GB/T 22239 8.1.4.1c", Area = "Identity authentication", Requirement = "Credentials protected during remote administration: every management listener uses TLS 1.2 or later.";
        if (e.Development)
        {
            return Row(Id, Clause, Area, Requirement, ComplianceStatus.Fail, "A development deployment (--dev): the management plane serves plain HTTP.", null);
        }

        if (e.Servers.Count == 0)
        {
            return Row(Id, Clause, Area, Requirement, ComplianceStatus.Manual, "No live server is registered in the deployment: no listener to read.", "Run the report against the running deployment, or check every server's management listener for TLS.");
        }

        var plain = e.Servers.Where(server => server.ManagementEndpoint is { } endpoint && !IsHttps(endpoint)).Select(server => $"{server.Id} ({server.ManagementEndpoint})").ToList();
        return plain.Count > 0
            ? Row(Id, Clause, Area, Requirement, ComplianceStatus.Fail, $"Plain HTTP management plane on {Join(plain)} (--dangerous-allow-http).", null)
            : Row(Id, Clause, Area, Requirement, ComplianceStatus.Pass, $"{Count(e.Servers.Count, "live server")}, every management endpoint https: {Join(e.Servers.Select(server => server.ManagementEndpoint ?? "(not bound yet)"))}; TLS versions {Join(e.TlsProtocols)}.", null);
    }

    internal static ComplianceRow SecondFactor(ComplianceEvidence e)
    {
        var enabled = e.Principals.Where(p => !p.Disabled).ToList();
        var single = enabled.Where(p => p.SecondFactor != "totp").Select(p => $"{p.Kind} {p.Id}").ToList();
        return Decide(
            "IA-4", "GB/T 22239 8.1.4.1d", "Identity authentication", "Two or more combined authentication techniques, at least one cryptographic, for every administrator.",
            single.Count > 0 ? [$"signs in with a password alone (created with --no-second-factor): {Join(single)}"] : [],
            $"Every enabled principal ({enabled.Count(p => p.IsOperator)} operators, {enabled.Count(p => !p.IsOperator)} tenant administrators) signs in with password and TOTP (RFC 6238, a code accepted once).");
    }

    internal static ComplianceRow MutualAuthentication(ComplianceEvidence e) => Manual(
        "IA-5", "GB/T 22239 8.2.4.1", "Identity authentication", "Two-way authentication between the management terminal and the platform.",
        "The platform authenticates to the terminal by its TLS certificate (the CLI pins it with --ca-cert); terminals authenticate by password and TOTP. Strongroom has no client-certificate (mutual TLS) sign-in.",
        "Check how management terminals are authenticated to the platform (jump hosts, VPN or network controls with client certificates) and that the server certificate is pinned on every terminal.");

    // Access control (8.1.4.2, 8.1.5, 8.1.7)

    internal static ComplianceRow DefaultAccounts(ComplianceEvidence e) => e.Development
        ? Row("AC-1", "GB/T 22239 8.1.4.2a-c", "Access control", "No default or shared accounts; default passwords changed.", ComplianceStatus.Fail,
            "A development deployment (--dev): the public development account and its well-known key exist, and the unseal share is stored beside the data.", null)
        : Row("AC-1", "GB/T 22239 8.1.4.2a-c", "Access control", "No default or shared accounts; default passwords changed.", ComplianceStatus.Pass,
            $"Production deployment: no built-in principal, account or password; every principal was created explicitly ({Count(e.Principals.Count, "principal")}, of which {e.Principals.Count(p => p.Disabled).ToString(CultureInfo.InvariantCulture)} disabled).", null);

    internal static ComplianceRow AdminSeparation(ComplianceEvidence e)
    {
        var operators = e.Principals.Where(p => p.IsOperator && !p.Disabled).ToList();
        var missing = AdminRoles.Where(role => !operators.Any(p => p.Role == role)).ToList();
        var holders = AdminRoles.Select(role => $"{role}: {Join(operators.Where(p => p.Role == role).Select(p => p.Id), "none")}");
        return Decide(
            "AC-2", "GB/T 22239 8.1.4.2d, 8.1.5.1-3, 8.1.7.1", "Access control", "Least privilege and the three-admin split: system, security and audit administrators exist and no principal holds two roles.",
            missing.Count > 0 ? [$"no enabled operator holds {Join(missing)}"] : [],
            $"Every operator holds exactly one role (enforced by the store); {Join(holders, "; ")}. No role reads customer data.");
    }

    internal static ComplianceRow AdminPosts(ComplianceEvidence e) => Manual(
        "OR-1", "GB/T 22239 8.1.7.1-2", "Security management", "The system, audit and security administrator posts are staffed by named, different people; a full-time security administrator holds no other post.",
        $"Operators by role: {Join(AdminRoles.Select(role => $"{role} {e.Principals.Count(p => p.IsOperator && !p.Disabled && p.Role == role)}"))}.",
        "Check the staffing records: each operator account belongs to one named person, no person holds operator accounts of two roles, and the security administrator is full time.");

    internal static ComplianceRow SealThreshold(ComplianceEvidence e)
    {
        var seal = e.Seal;
        var problems = new List<string>();
        if (!seal.Initialised)
        {
            problems.Add("the vault is not initialised");
        }
        else
        {
            if (seal.Threshold < SealThresholdMin)
            {
                problems.Add($"{seal.Threshold} share unseals (at least {SealThresholdMin})");
            }

            if (seal.Shares < SealSharesMin)
            {
                problems.Add($"{seal.Shares} share(s) issued (at least {SealSharesMin})");
            }
        }

        if (e.Development)
        {
            problems.Add("the development unseal share is stored beside the data");
        }

        return Decide(
            "KM-2", "GB/T 22239 8.1.4.2d, 8.1.7.3", "Key management", $"Unsealing the root key needs several custodians: threshold K ≥ {SealThresholdMin} of N ≥ {SealSharesMin} shares.",
            problems,
            $"Root key sealed under a {seal.Threshold}-of-{seal.Shares} Shamir split; no share is stored by the deployment.");
    }

    // Security audit (8.1.4.3, 8.2.3.3, CSL art. 21)

    internal static ComplianceRow AuditCoversOperators(ComplianceEvidence e)
    {
        var platform = e.Logs.FirstOrDefault(log => log.Log == PlatformLog);
        var problems = platform is null ? ["no platform log"]
            : !platform.Verified ? [$"the platform log fails verification: {platform.Result}"]
            : platform.Size == 0 ? ["the platform log is empty"]
            : new List<string>();
        return Decide(
            "AU-1", "GB/T 22239 8.1.4.3a-b", "Security audit", "Audit covers every user, operators included, with time, user, event and outcome.",
            problems,
            $"Operators' sign-ins and actions, seal and unseal, server starts and stops are recorded in the platform log ({platform?.Size ?? 0} entries, verified now); each tenant's events in its own log.");
    }

    internal static ComplianceRow LogRetentionAndIntegrity(ComplianceEvidence e)
    {
        var problems = new List<string>();
        if (e.PlatformLogRetentionDays < LogRetentionDaysMin)
        {
            problems.Add($"the platform log keeps {e.PlatformLogRetentionDays} days");
        }

        var shortRetention = e.Accounts.Where(a => !a.Destroyed && a.AuditRetentionDays < LogRetentionDaysMin).Select(a => $"{a.Name} ({a.AuditRetentionDays} days)").ToList();
        if (shortRetention.Count > 0)
        {
            problems.Add($"retention under {LogRetentionDaysMin} days: {Join(shortRetention)}");
        }

        var broken = e.Logs.Where(log => !log.Verified).Select(log => $"{log.Log}: {log.Result}").ToList();
        if (broken.Count > 0)
        {
            problems.Add($"logs failing verification: {Join(broken, "; ")}");
        }

        return Decide(
            "AU-3", "GB/T 22239 8.1.4.3c, 8.1.5.4d; CSL art. 21", "Security audit", $"Audit records protected from deletion, change or overwrite, and kept at least six months (≥ {LogRetentionDaysMin} days).",
            problems,
            $"{Count(e.Logs.Count, "log")} verified now against signed checkpoints (RFC 6962 trees, append-only: {e.Logs.Sum(log => log.Size).ToString(CultureInfo.InvariantCulture)} entries); retention: platform {e.PlatformLogRetentionDays} days, accounts {RetentionRange(e)}.");
    }

    internal static ComplianceRow AuditFailClosed(ComplianceEvidence e) => Row(
        "AU-4", "GB/T 22239 8.1.4.3d", "Security audit", "The audit process cannot be interrupted: no operation runs unrecorded.", ComplianceStatus.Pass,
        "Every operation's entry commits with it or the operation fails (AuditLogUnavailable); the build has no fail-open mode and the log rows refuse update and delete.", null);

    internal static ComplianceRow CustomerVisibleLogs(ComplianceEvidence e)
    {
        var live = e.Accounts.Where(a => !a.Destroyed).ToList();
        var problems = live.Where(a => !e.Logs.Any(log => log.Log == a.Name && log.Verified)).Select(a => a.Name).ToList();
        return Decide(
            "AU-7", "GB/T 22239 8.2.3.3b", "Security audit", "The provider's operations on customer systems and data can be audited by the customer.",
            problems.Count > 0 ? [$"accounts whose log is missing or fails verification: {Join(problems)}"] : [],
            $"Each of {Count(live.Count, "account")} has its own transparency log, verified now, that the tenant verifies itself (`/.strongroom/log`, signed checkpoints, inclusion and consistency proofs); operators' grant use is recorded there.");
    }

    internal static ComplianceRow OperatorAccess(ComplianceEvidence e)
    {
        var decided = e.Grants.Where(g => g.State is "approved" or "active" or "ended" or "revoked").ToList();
        var problems = decided
            .Where(g => g.TenantApprover is null || g.SecurityApprover is null || g.TenantApprover == g.Requester || g.SecurityApprover == g.Requester)
            .Select(g => $"{g.Id} ({g.Account}, {g.State})")
            .ToList();
        var byState = e.Grants.GroupBy(g => g.State).OrderBy(group => group.Key, StringComparer.Ordinal).Select(group => $"{group.Key} {group.Count()}");
        return Decide(
            "OA-1", "GB/T 22239 8.2.4.5b, 8.1.7.3", "Operator access", "Provider management rights over customer data only with the customer's authorisation, approved at more than one level.",
            problems.Count > 0 ? [$"grants without both approvals by others than the requester: {Join(problems)}"] : [],
            e.Grants.Count == 0
                ? "No lockbox request was ever made: no operator has reached customer data. Operators reach data only through lockbox grants approved by a tenant administrator and a security admin."
                : $"{Count(e.Grants.Count, "lockbox request")} ({Join(byState)}); every approved grant was approved by a tenant administrator of its account and a security admin, neither the requester.");
    }

    // Intrusion and malware (8.1.4.4-6)

    internal static ComplianceRow IntrusionPrevention(ComplianceEvidence e) => Manual(
        "IP-1", "GB/T 22239 8.1.4.4a-c", "Intrusion prevention", "Minimal installation, unneeded ports closed, management access restricted by address.",
        $"Listeners: {Join(e.Servers.Select(s => $"{s.Id}: data {Join(s.DataEndpoints)}, management {s.ManagementEndpoint ?? "(not bound)"}"), "; ", "no live server registered")}.",
        "Check the hosts' open ports against the listeners above, and the firewall rules restricting the management listener to the administrators' addresses.");

    internal static ComplianceRow Patching(ComplianceEvidence e) => Manual(
        "IP-3", "GB/T 22239 8.1.4.4e-f", "Intrusion prevention", "Vulnerabilities patched in time; intrusion detected and alerted.",
        "Prometheus metrics and alert rules are shipped with the server (docs/operations.md).",
        "Check the patch records of the hosts and of Strongroom, the dependency scan, and that the alert rules are loaded and routed to on-call staff.");

    internal static ComplianceRow MalwareProtection(ComplianceEvidence e) => Manual(
        "MC-1", "GB/T 22239 8.1.4.5-6; CSL art. 21(2)", "Malware protection", "Anti-malware measures; trusted verification of binaries where used.",
        "Not evidenced by the software.",
        "Check the malware protection or application allow-listing on every host, and how the Strongroom binaries are verified before deployment.");

    // Integrity and confidentiality (8.1.2.2, 8.1.4.7-8)

    internal static ComplianceRow TransportEncryption(ComplianceEvidence e)
    {
        const string Id = "DC-1", Clause = "GB/T 22239 8.1.2.2, 8.1.4.7a, 8.1.4.8a", Area = "Integrity and confidentiality", Requirement = "Data protected in transit by cryptography: the data plane and every remote site over TLS, no plain HTTP.";
        if (e.Development)
        {
            return Row(Id, Clause, Area, Requirement, ComplianceStatus.Fail, "A development deployment (--dev): the data plane serves plain HTTP.", null);
        }

        var problems = new List<string>();
        var plain = e.Servers.SelectMany(server => server.DataEndpoints.Where(endpoint => !IsHttps(endpoint)).Select(endpoint => $"{server.Id} ({endpoint})")).ToList();
        if (plain.Count > 0)
        {
            problems.Add($"plain HTTP data plane on {Join(plain)} (--dangerous-allow-http)");
        }

        var plainSites = e.Sites.Where(site => site.RemoteScheme is { } scheme && scheme != "https" && site.State != "removed").Select(site => site.Id).ToList();
        if (plainSites.Count > 0)
        {
            problems.Add($"remote sites over plain HTTP: {Join(plainSites)}");
        }

        if (problems.Count == 0 && e.Servers.Count == 0)
        {
            return Row(Id, Clause, Area, Requirement, ComplianceStatus.Manual, "No live server is registered in the deployment: no listener to read.", "Run the report against the running deployment, or check every server's data listener for TLS.");
        }

        return Decide(Id, Clause, Area, Requirement, problems,
            $"Every data endpoint is https ({Join(e.Servers.SelectMany(server => server.DataEndpoints))}), TLS versions {Join(e.TlsProtocols)} (AEAD suites); remote sites over HTTPS; ciphertext only leaves the server.");
    }

    internal static ComplianceRow EncryptionAtRest(ComplianceEvidence e)
    {
        var live = e.Accounts.Where(a => !a.Destroyed).ToList();
        var problems = new List<string>();
        var withoutKek = live.Where(a => !a.KeyEncryptionKeyPresent).Select(a => a.Name).ToList();
        if (withoutKek.Count > 0)
        {
            problems.Add($"accounts without a key-encryption key: {Join(withoutKek)}");
        }

        var unwrapped = live.Where(a => a.ObjectsWithoutWrappedKey > 0).Select(a => $"{a.Name} ({a.ObjectsWithoutWrappedKey})").ToList();
        if (unwrapped.Count > 0)
        {
            problems.Add($"objects without a wrapped data key: {Join(unwrapped)}");
        }

        var suites = live.GroupBy(a => a.CipherSuite).OrderBy(group => group.Key, StringComparer.Ordinal).Select(group => $"{group.Key} {group.Count()}");
        return Decide(
            "DC-2", "GB/T 22239 8.1.4.7b, 8.1.4.8b", "Integrity and confidentiality", "Data protected at rest by cryptography (confidentiality and integrity).",
            problems,
            $"{Count(live.Count, "account")} ({Join(suites, "none")}), each with its key-encryption key; {live.Sum(a => a.Objects).ToString(CultureInfo.InvariantCulture)} objects, each under its own wrapped data key (authenticated encryption, bound to its place). There is no unencrypted mode.");
    }

    internal static ComplianceRow CustomerKeys(ComplianceEvidence e) => Manual(
        "KM-1", "GB/T 22239 8.2.4.5d", "Key management", "Customers can deploy their own key management.",
        "Customer-managed keys (encryption scopes over the tenant's vault keys) and customer-provided keys are supported.",
        "Ask whether customers whose data requires it use customer-managed keys, and check the key custody procedure.");

    // Backup and recovery (8.1.4.9, 8.2.4.6)

    internal static ComplianceRow LocalBackup(ComplianceEvidence e) => Manual(
        "BR-1", "GB/T 22239 8.1.4.9a", "Backup and recovery", "Local backup and restore of important data.",
        "Versioning and soft delete are per-account settings; the metadata database is backed up by the operator.",
        "Check the backup schedule of the metadata database and the vault's seal and keyring, and the record of the last restore drill.");

    internal static ComplianceRow OffSiteCopies(ComplianceEvidence e)
    {
        var live = e.Accounts.Where(a => !a.Destroyed).ToList();
        var problems = new List<string>();
        var single = live.Where(a => a.RedundancyCopies < 2).Select(a => $"{a.Name} ({a.RedundancyCopies} copy)").ToList();
        if (single.Count > 0)
        {
            problems.Add($"accounts keeping one copy: {Join(single)}");
        }

        var underCopied = live.Where(a => a.RedundancyCopies >= 2 && a.ObjectsWithOneCopy > 0).Select(a => $"{a.Name} ({a.ObjectsWithOneCopy})").ToList();
        if (underCopied.Count > 0)
        {
            problems.Add($"objects with a single copy: {Join(underCopied)}");
        }

        return Decide(
            "BR-2", "GB/T 22239 8.1.4.9b, 8.2.4.6", "Backup and recovery", "Off-site, real-time backup over the network: every account keeps at least two copies on different sites.",
            problems,
            live.Count == 0
                ? "No account holds data."
                : $"Copies per account: {Join(live.Select(a => $"{a.Name} {a.RedundancyCopies} ({Join(a.Copies.Where(c => c.TransferId is null).GroupBy(c => c.SiteId).Select(g => g.Key), "no objects yet")})"))}; owed copies are recorded with each write and made by the replicator.");
    }

    internal static ComplianceRow HotRedundancy(ComplianceEvidence e) => Manual(
        "BR-3", "GB/T 22239 8.1.4.9c", "Backup and recovery", "Hot redundancy of the system.",
        $"{Count(e.Servers.Count, "live server")} share the deployment's metadata.",
        "Check that the deployment runs at least two servers behind a load balancer, and that the metadata database itself is highly available.");

    // Residual and personal information (8.1.4.10-11, 8.2.4.7)

    internal static ComplianceRow ResidualInformation(ComplianceEvidence e)
    {
        var problems = e.Destructions
            .Where(d => d.CertificatesVerified < d.Certificates || (d.State == "completed" && d.Certificates == 0))
            .Select(d => $"{d.Id} ({d.Account}): {d.Failure ?? "no certificate"}")
            .ToList();
        return Decide(
            "RI-1", "GB/T 22239 8.1.4.10, 8.2.4.7", "Residual information", "Storage cleared before release; deletion reaches every replica.",
            problems.Count > 0 ? [$"destructions whose certificates do not verify: {Join(problems, "; ")}"] : [],
            e.Destructions.Count == 0
                ? "No destruction yet. Deletion is crypto-shredding: the commit that removes data erases its wrapped data keys, then every copy is deleted on every site."
                : $"{Count(e.Destructions.Count, "destruction")} with {e.Destructions.Sum(d => d.Certificates)} certificate revision(s), each signature and log inclusion verified now; keys are erased before any copy is deleted on every site.");
    }

    internal static ComplianceRow PersonalInformation(ComplianceEvidence e) => Manual(
        "PI-1", "GB/T 22239 8.1.4.11; PIPL art. 51", "Personal information", "Only the personal information the business needs is collected; no unauthorised access or use.",
        "Operators cannot read customer data without a lockbox grant (OA-1); every access under a grant is in the tenant's log.",
        "Check the personal-information inventory and minimisation of the services built on Strongroom, and the personal information Strongroom itself holds (administrator names, client addresses in logs).");

    // Localisation and cross-border (8.2.1.1, 8.2.4.5a, 8.2.7.1; CSL art. 37; PIPL art. 38-40)

    internal static ComplianceRow InfrastructureInChina(ComplianceEvidence e)
    {
        var sites = e.Sites.Where(site => site.State != "removed").ToList();
        var outside = sites.Where(site => site.Jurisdiction != China).Select(site => $"{site.Id} ({(site.Jurisdiction == "ZZ" ? "unspecified" : site.Jurisdiction)})").ToList();
        return Decide(
            "DR-1", "GB/T 22239 8.2.1.1", "Localisation", "Cloud infrastructure located in China.",
            outside.Count > 0 ? [$"sites outside {China}: {Join(outside)}"] : [],
            $"Every site is in {China}: {Join(sites.Select(site => $"{site.Id} ({site.Region}/{site.Zone})"))}.");
    }

    internal static ComplianceRow DataInResidency(ComplianceEvidence e)
    {
        var problems = new List<string>();
        long copies = 0;
        foreach (var account in e.Accounts)
        {
            foreach (var copy in account.Copies)
            {
                copies += copy.Count;
                if (copy.TransferId is null && !account.Residency.Contains(copy.Jurisdiction, StringComparer.Ordinal))
                {
                    problems.Add($"{account.Name}: {copy.Count} copies on {copy.SiteId} ({copy.Jurisdiction}) outside its residency {Join(account.Residency)}");
                }

                if (copy.TransferId is { } transferId && !e.Transfers.Any(t => t.Id == transferId && t.DestinationSiteId == copy.SiteId && t.State is "approved" or "completed"))
                {
                    problems.Add($"{account.Name}: {copy.Count} copies on {copy.SiteId} under transfer {transferId}, which is not approved for that site");
                }
            }
        }

        var notInChina = e.Accounts.Where(a => !a.Destroyed && a.Residency.Any(j => j != China)).Select(a => $"{a.Name} ({Join(a.Residency)})").ToList();
        if (notInChina.Count > 0)
        {
            problems.Add($"accounts whose residency allows data outside {China}: {Join(notInChina)}");
        }

        var transferred = e.Accounts.SelectMany(a => a.Copies.Where(c => c.TransferId is not null)).Sum(c => c.Count);
        return Decide(
            "DR-2", "GB/T 22239 8.2.4.5a, 8.2.4.6b; CSL art. 37; PIPL art. 40", "Localisation", "Customer data, replicas and backups stored in China; every copy inside its account's residency.",
            problems,
            $"Scanned {copies.ToString(CultureInfo.InvariantCulture)} copies of {Count(e.Accounts.Count, "account")}: every copy is on a site inside its account's residency ({Join(e.Accounts.Select(a => $"{a.Name} {Join(a.Residency)}"), "no accounts")}){(transferred > 0 ? $"; {transferred.ToString(CultureInfo.InvariantCulture)} copies outside it under approved transfers (XB-1)" : string.Empty)}.");
    }

    internal static ComplianceRow CrossBorderTransfers(ComplianceEvidence e)
    {
        var moved = e.Transfers.Where(t => t.State is "approved" or "completed").ToList();
        var problems = moved.Where(t => t.TenantApprover is null || t.SecurityApprover is null).Select(t => $"{t.Id} ({t.Account})").ToList();
        return Decide(
            "XB-1", "PIPL art. 38-39; CSL art. 37; DSL art. 31", "Cross-border transfer", "Data leaves China only on a legal basis (CAC assessment, standard contract or certification), approved by the customer.",
            problems.Count > 0 ? [$"transfers without both approvals: {Join(problems)}"] : [],
            e.Transfers.Count == 0
                ? "No cross-border transfer was ever requested: no copy exists outside its account's residency."
                : $"{Count(e.Transfers.Count, "transfer")}: {Join(e.Transfers.Select(t => $"{t.Id} {t.Account} → {t.DestinationSiteId} ({t.DestinationJurisdiction}) {t.LegalBasis} {t.State}"), "; ")}; every approved one carries a tenant administrator's and a security admin's approval.");
    }

    internal static ComplianceRow OperationsLocation(ComplianceEvidence e) => Manual(
        "DR-3", "GB/T 22239 8.2.7.1", "Localisation", "Operations and maintenance carried out from within China.",
        "Strongroom does not check where an operator signs in from; client addresses are recorded in the logs.",
        "Check that the management listener is reachable only from jump hosts in China, and sample operators' sign-in addresses in the platform log.");

    internal static ComplianceRow ManagementSeparation(ComplianceEvidence e)
    {
        var shared = e.Servers.Where(server => server.ManagementEndpoint is { } management && server.DataEndpoints.Contains(management, StringComparer.OrdinalIgnoreCase)).Select(server => server.Id).ToList();
        if (e.Servers.Count == 0)
        {
            return Row("NW-1", "GB/T 22239 8.2.5.1", "Network", "Management traffic separated from customer traffic.", ComplianceStatus.Manual, "No live server is registered in the deployment.", "Check that every server's management listener is separate from its data listener.");
        }

        return Decide(
            "NW-1", "GB/T 22239 8.2.5.1", "Network", "Management traffic separated from customer traffic.",
            shared.Count > 0 ? [$"servers serving management and data on one endpoint: {Join(shared)}"] : [],
            "Every server answers the management API only on its own listener, which answers nothing else.");
    }

    internal static ComplianceRow ServiceAgreement(ComplianceEvidence e) => Manual(
        "SLA-1", "GB/T 22239 8.2.6.1", "Supply chain", "Service agreement covering provider rights, data return and deletion at exit, and a confidentiality agreement.",
        "Not evidenced by the software.",
        "Check each customer's service agreement and NDA for the provider's rights, data return at exit and deletion (destruction certificates can evidence the deletion).");

    internal static ComplianceRow CommercialCryptography(ComplianceEvidence e) => Manual(
        "CR-1", "GB/T 39786-2021", "Cryptography", "Certified commercial cryptography and a cryptography application assessment (密评).",
        $"Accounts by cipher suite: {Join(e.Accounts.Where(a => !a.Destroyed).GroupBy(a => a.CipherSuite).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"), "none")} (SM4-GCM with SM3 is available per account).",
        "Check the cryptographic module certificates and the 密评 report; Strongroom's own SM4/SM3 code is not a certified module.");

    internal static ComplianceRow PhysicalSecurity(ComplianceEvidence e) => Manual(
        "PS-1", "GB/T 22239 (physical security, general requirements)", "Physical security", "Physical access control, environment and power of the datacenters.",
        $"Sites: {Join(e.Sites.Select(site => $"{site.Id} {site.Backend}"))}.",
        "Inspect the datacenters of every site: access control, surveillance, fire, power and climate protection.");

    internal static ComplianceRow SecurityManagement(ComplianceEvidence e) => Manual(
        "SM-1", "CSL art. 21(1), 21(4)", "Security management", "Internal security rules, a named person responsible, data classification.",
        "Not evidenced by the software.",
        "Check the written security rules, the appointment of the person responsible for network security, and the data classification (DSL art. 21).");

    // Helpers

    private const string PlatformLog = "$platform";

    private static ComplianceRow Row(string id, string clause, string area, string requirement, ComplianceStatus status, string evidence, string? assessor) =>
        new(id, clause, area, requirement, status, evidence, assessor);

    private static ComplianceRow Manual(string id, string clause, string area, string requirement, string evidence, string assessor) =>
        new(id, clause, area, requirement, ComplianceStatus.Manual, evidence, assessor);

    /// <summary>Fail with the problems as evidence when there are any, else pass with <paramref name="passEvidence"/>.</summary>
    private static ComplianceRow Decide(string id, string clause, string area, string requirement, IReadOnlyList<string> problems, string passEvidence) =>
        problems.Count > 0
            ? new(id, clause, area, requirement, ComplianceStatus.Fail, "Fails: " + string.Join("; ", problems) + ".", null)
            : new(id, clause, area, requirement, ComplianceStatus.Pass, passEvidence, null);

    private static bool IsHttps(string endpoint) => endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static string Join(IEnumerable<string> items, string empty = "none") => Join(items, ", ", empty);

    private static string Join(IEnumerable<string> items, string separator, string empty = "none")
    {
        var list = items.ToList();
        return list.Count == 0 ? empty : string.Join(separator, list);
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count.ToString(CultureInfo.InvariantCulture)} {noun}s";

    private static string Minutes(TimeSpan span) => span.TotalMinutes >= 120 && span.TotalMinutes % 60 == 0
        ? $"{(span.TotalMinutes / 60).ToString(CultureInfo.InvariantCulture)} h"
        : $"{span.TotalMinutes.ToString(CultureInfo.InvariantCulture)} min";

    private static string RetentionRange(ComplianceEvidence e)
    {
        var days = e.Accounts.Where(a => !a.Destroyed).Select(a => a.AuditRetentionDays).ToList();
        return days.Count == 0 ? "none"
            : days.Min() == days.Max() ? $"{days[0].ToString(CultureInfo.InvariantCulture)} days"
            : $"{days.Min().ToString(CultureInfo.InvariantCulture)}–{days.Max().ToString(CultureInfo.InvariantCulture)} days";
    }
}
