namespace Strongroom.Compliance.Tests;

/// <summary>Hand-made evidence snapshots: <see cref="Compliant"/> passes every automatic row; each test changes one fact.</summary>
internal static class Evidence
{
    public static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public static ComplianceEvidence Compliant() => new()
    {
        DeploymentId = "0123456789abcdef",
        CollectedOn = Now,
        Development = false,
        Servers = [new ServerEvidence("i-1", "host-a", ["https://10.0.0.1:10000/"], "https://10.0.0.1:10010/")],
        TlsProtocols = ["TLS 1.2", "TLS 1.3"],
        Sites =
        [
            new SiteEvidence("cn-east-1a", "cn-east", "cn-east-1", "CN", "active", "directory", null),
            new SiteEvidence("cn-east-2a", "cn-east", "cn-east-2", "CN", "active", "directory", null),
            new SiteEvidence("cn-north-1a", "cn-north", "cn-north-1", "CN", "active", "azure-blob", "https"),
        ],
        Seal = new SealEvidence(true, Shares: 5, Threshold: 3),
        Principals =
        [
            new PrincipalEvidence("operator", "sec", "security-admin", "totp", Disabled: false),
            new PrincipalEvidence("operator", "sys", "system-admin", "totp", Disabled: false),
            new PrincipalEvidence("operator", "aud", "audit-admin", "totp", Disabled: false),
            new PrincipalEvidence("tenant-admin", "acme/alice", null, "totp", Disabled: false),
        ],
        SignIn = new SignInEvidence(12, 3, 5, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15), TimeSpan.FromHours(8)),
        PlatformLogRetentionDays = 183,
        Logs = [new LogEvidence("$platform", 12, true, "verified 12 entries (0 pruned)"), new LogEvidence("acme", 7, true, "verified 7 entries (0 pruned)")],
        Accounts = [Account("acme")],
        Grants = [],
        Transfers = [],
        Destructions = [],
    };

    public static AccountEvidence Account(string name) => new()
    {
        Name = name,
        State = "enabled",
        CipherSuite = "aes-256-gcm",
        KeyEncryptionKeyPresent = true,
        Residency = ["CN"],
        RedundancyCopies = 2,
        AuditRetentionDays = 183,
        Objects = 4,
        ObjectsWithoutWrappedKey = 0,
        ObjectsWithOneCopy = 0,
        Copies = [new CopyEvidence("cn-east-1a", "CN", "present", null, 4), new CopyEvidence("cn-east-2a", "CN", "present", null, 4)],
    };

    public static ComplianceRow Row(ComplianceEvidence evidence, string id) =>
        ComplianceChecklist.Evaluate(evidence).Rows.Single(row => row.Id == id);

    public static IReadOnlySet<string> Failed(ComplianceEvidence evidence) =>
        ComplianceChecklist.Evaluate(evidence).Rows.Where(row => row.Status == ComplianceStatus.Fail).Select(row => row.Id).ToHashSet();
}
