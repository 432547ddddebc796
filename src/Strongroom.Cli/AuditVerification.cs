using System.Globalization;
using Strongroom.Audit;

namespace Strongroom.Cli;

/// <summary>
/// <c>audit verify</c>: runs <see cref="LogVerifier"/> over a log source with the state kept in the
/// state directory, and reports. The key is pinned on first use: the one given with
/// <c>--public-key</c>, else the one the server publishes (trust on first use, printed so the
/// tenant compares it out of band). A failure prints its kind and the first index where the log
/// differs, and exits 1; the pinned state then stays as it was.
/// </summary>
internal static class AuditVerification
{
    public static async Task<int> RunAsync(IAuditLogReader reader, string logIdentity, string? pinnedKeyText, string stateDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        NoteVerifierKey? given = null;
        if (pinnedKeyText is not null)
        {
            try
            {
                given = NoteVerifierKey.Parse(pinnedKeyText.Trim());
            }
            catch (FormatException exception)
            {
                throw new CliException(Cli.ExitUsage, $"--public-key is not a verifier key (name+id+key, as `strongroom audit key` prints it): {exception.Message}");
            }
        }

        var store = new VerifierStateStore(stateDirectory);
        var previous = store.Load(logIdentity);
        var trustedOnFirstUse = false;
        if (previous is null && given is null)
        {
            var published = await reader.GetVerifierKeyAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                given = NoteVerifierKey.Parse(published.Trim());
            }
            catch (FormatException exception)
            {
                throw new CliException(Cli.ExitFailure, $"{reader.Description} publishes a verifier key that does not parse: {exception.Message}");
            }

            trustedOnFirstUse = true;
        }

        var result = await LogVerifier.VerifyAsync(new ReaderLogSource(reader), previous, given, progress: null, cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
        {
            error.WriteLine($"error: the log of {reader.Description} failed verification: {result.Status}: {result.Message}");
            if (result.FirstBadIndex is { } index)
            {
                error.WriteLine($"first differing index: {index.ToString(CultureInfo.InvariantCulture)}");
            }

            if (previous is not null)
            {
                error.WriteLine($"The state pinned at size {previous.Size.ToString(CultureInfo.InvariantCulture)} is kept in {stateDirectory}: keep it as evidence.");
            }

            return Cli.ExitFailure;
        }

        store.Save(logIdentity, result.NewState!);
        var checkpoint = result.Checkpoint!;
        var size = checkpoint.Size.ToString(CultureInfo.InvariantCulture);
        var since = previous is null
            ? "first verification, nothing to compare with yet"
            : $"consistent with the checkpoint seen last time (size {previous.Size.ToString(CultureInfo.InvariantCulture)})";
        output.WriteLine($"verified {size} entries ({result.EntriesPruned.ToString(CultureInfo.InvariantCulture)} pruned) up to checkpoint size {size} root {Convert.ToBase64String(checkpoint.RootHash)}; {since}");
        if (trustedOnFirstUse)
        {
            output.WriteLine($"Pinned the server's verifier key on first use: {given}");
            output.WriteLine("Compare it out of band with the key your operator hands you (`strongroom audit key` on the host); from now on a checkpoint signed by any other key fails.");
        }
        else if (previous is null)
        {
            output.WriteLine($"Pinned the verifier key given: {given}");
        }

        return Cli.ExitSuccess;
    }

    /// <summary>
    /// A fresh verification of <paramref name="reader"/>'s log, as <c>audit verify</c> makes it on
    /// first use (the key the deployment publishes, no pinned state read or saved): the compliance
    /// report's evidence that every log verifies now.
    /// </summary>
    public static async Task<LogVerificationResult> VerifyFreshAsync(IAuditLogReader reader, CancellationToken cancellationToken)
    {
        var key = NoteVerifierKey.Parse((await reader.GetVerifierKeyAsync(cancellationToken).ConfigureAwait(false)).Trim());
        return await LogVerifier.VerifyAsync(new ReaderLogSource(reader), previous: null, key, progress: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The verifier's view of a CLI log source.</summary>
    private sealed class ReaderLogSource(IAuditLogReader reader) : ILogSource
    {
        public Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default) => reader.GetCheckpointNoteAsync(cancellationToken);

        public async Task<LogEntryPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken = default)
        {
            var page = await reader.GetEntriesAsync(start, end, cancellationToken).ConfigureAwait(false);
            return new LogEntryPage([.. page.Entries.Select(entry => new LogSourceEntry(entry.Index, entry.LeafHash, entry.Body))]);
        }

        public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken = default) =>
            reader.GetConsistencyProofAsync(first, second, cancellationToken);
    }
}
