namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// The evidence's calls into the other lanes of issue 7, in one place: each throws until its lane
/// lands on main, and is then written against what landed. The tests that need them are skipped
/// with "needs issue7-LANE" until then.
/// </summary>
public static class Lanes
{
    public const string Versions = "needs issue7-versions";
    public const string Containers = "needs issue7-containers";
    public const string Shredding = "needs issue7-shredding";
    public const string Certificates = "needs issue7-certificates";

    /// <summary>One pass of the destruction sweep: purges due soft-deleted data, destroys due closed accounts, sweeps sites.</summary>
    public static Task SweepOnceAsync(EvidenceServer server) =>
        throw new NotImplementedException("issue7-shredding: the sweep's RunOnceAsync");

    /// <summary><c>strongroom account close</c>: disabled at once, destroyed when the grace period ends.</summary>
    public static Task CloseAccountAsync(EvidenceServer server, string account) =>
        throw new NotImplementedException("issue7-shredding: account close");

    /// <summary>How long after a close the account's keys are destroyed.</summary>
    public static TimeSpan ClosureGrace => throw new NotImplementedException("issue7-shredding: the grace period");

    /// <summary>Sets (or with null clears) a container's legal hold as a tenant administrator would.</summary>
    public static Task SetContainerLegalHoldAsync(EvidenceServer server, string account, string container, string? tag) =>
        throw new NotImplementedException("issue7-containers: container legal hold");

    /// <summary>The destructions recorded for <paramref name="account"/>.</summary>
    public static Task<IReadOnlyList<Core.DestructionRecord>> DestructionsAsync(EvidenceServer server, string account) =>
        throw new NotImplementedException("issue7-shredding: the destruction records");

    /// <summary>Writes the latest certificate of <paramref name="destructionId"/> to a file as <c>certificate get</c> does; returns its path.</summary>
    public static Task<string> CertificateFileAsync(EvidenceServer server, string account, string destructionId) =>
        throw new NotImplementedException("issue7-certificates: certificate get");

    /// <summary>The certificate's canonical document (JSON) from a certificate file.</summary>
    public static byte[] CertificateDocument(byte[] file) =>
        throw new NotImplementedException("issue7-certificates: the certificate file format");

    /// <summary>The certificate file with its document replaced (the signature kept).</summary>
    public static byte[] WithCertificateDocument(byte[] file, byte[] document) =>
        throw new NotImplementedException("issue7-certificates: the certificate file format");
}
