using Strongroom.Core;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// The evidence's calls into the other lanes of issue 7, in one place (the services the server
/// composes, and the CLI where the check is the command itself).
/// </summary>
public static class Lanes
{
    public const string Versions = "needs issue7-versions";
    public const string Containers = "needs issue7-containers";
    public const string Shredding = "needs issue7-shredding";
    public const string Certificates = "needs issue7-certificates";

    /// <summary>
    /// One pass of the destruction sweep, as the server's hosted service runs it (as the system
    /// actor), but with its failures surfacing: purges due soft-deleted data, destroys due closed
    /// accounts, sweeps the sites, issues certificates.
    /// </summary>
    public static async Task<SweepPass> SweepOnceAsync(EvidenceServer server)
    {
        using var context = OperationContext.Begin(new OperationContext(Actor.System));
        return await server.Deployment.Destruction.SweepAsync();
    }

    /// <summary>Closes the account with the default grace period: disabled at once, destroyed when the grace ends.</summary>
    public static Task CloseAccountAsync(EvidenceServer server, string account) =>
        server.Deployment.Destruction.CloseAccountAsync(account, ClosureGrace);

    public static Task ReopenAccountAsync(EvidenceServer server, string account) =>
        server.Deployment.Destruction.ReopenAccountAsync(account);

    /// <summary>How long after a close the account's keys are destroyed.</summary>
    public static TimeSpan ClosureGrace => Limits.AccountCloseGraceDefault;

    /// <summary>Sets (or with null clears) a container's legal hold as a tenant administrator would.</summary>
    public static async Task SetContainerLegalHoldAsync(EvidenceServer server, string account, string container, string? tag)
    {
        if (tag is not null)
        {
            await server.Deployment.Protection.SetLegalHoldAsync(account, container, [tag]);
        }
        else
        {
            var tags = await server.Deployment.Protection.GetLegalHoldAsync(account, container);
            await server.Deployment.Protection.ClearLegalHoldAsync(account, container, tags);
        }
    }

    /// <summary>The destructions recorded for <paramref name="account"/>.</summary>
    public static Task<IReadOnlyList<DestructionRecord>> DestructionsAsync(EvidenceServer server, string account) =>
        server.Deployment.Destruction.ListDestructionsAsync(account);

    /// <summary>
    /// <c>strongroom certificate get ACCOUNT ID --out FILE</c>: the latest certificate's exact
    /// document in FILE and its detached signature (base64) in FILE.sig. Returns FILE.
    /// </summary>
    public static async Task<string> CertificateFileAsync(EvidenceServer server, string account, string destructionId)
    {
        var path = Path.Combine(server.FilesPath, $"{destructionId}.json");
        await server.CliOkAsync("certificate", "get", account, destructionId, "--out", path);
        return path;
    }

    /// <summary>Writes <paramref name="document"/> to <paramref name="forged"/> beside a copy of the original's signature file.</summary>
    public static async Task WriteForgedAsync(string original, string forged, byte[] document)
    {
        await File.WriteAllBytesAsync(forged, document);
        File.Copy(original + ".sig", forged + ".sig", overwrite: true);
    }

    /// <summary><c>strongroom certificate verify FILE --verifier-key KEY</c>, the key pinned from <c>strongroom audit key --account</c>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> VerifyAsync(EvidenceServer server, string account, string path)
    {
        var key = (await server.CliOkAsync("audit", "key", "--account", account)).Trim();
        return await EvidenceServer.OfflineCliAsync(string.Empty, "certificate", "verify", path, "--verifier-key", key);
    }
}
