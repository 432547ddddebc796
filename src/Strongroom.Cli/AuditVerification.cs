using Strongroom.Audit;

namespace Strongroom.Cli;

/// <summary><c>audit verify</c>: runs the verifier (Strongroom.Audit's LogVerifier) over a log source and reports.</summary>
internal static class AuditVerification
{
    public static Task<int> RunAsync(IAuditLogReader reader, string? pinnedKey, string stateDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        throw new NotImplementedException("issue 4: waits for LogVerifier (formats)");
}
