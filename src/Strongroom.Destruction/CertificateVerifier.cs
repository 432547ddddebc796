using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Destruction;

/// <summary>What kind of check a certificate failed.</summary>
public enum CertificateFailureKind
{
    /// <summary>The bytes are not a canonical version-1 certificate (or its verifier key does not parse).</summary>
    Malformed,

    /// <summary>The detached signature does not verify over the document's exact bytes.</summary>
    Signature,

    /// <summary>The document's verifier key is not the one the caller pinned.</summary>
    PinnedKey,

    /// <summary>The key, the log origin and the account do not belong together.</summary>
    Binding,

    /// <summary>The checkpoint does not parse, is of another log, or is not signed by the document's key.</summary>
    Checkpoint,

    /// <summary>An entry's inclusion proof does not reach the checkpoint's root at its size.</summary>
    Inclusion,

    /// <summary>An entry is not a canonical audit entry of this destruction, or one the certificate needs is missing.</summary>
    Entry,

    /// <summary>The document's own facts contradict each other (a complete sweep with a site still pending…).</summary>
    Inconsistent,
}

public sealed record CertificateFailure(CertificateFailureKind Kind, string Message)
{
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>The outcome of <see cref="CertificateVerifier.Verify"/>: valid when no check failed; the parsed document when it parsed.</summary>
public sealed record CertificateVerification(IReadOnlyList<CertificateFailure> Failures, CertificateDocument? Document, NoteVerifierKey? Key)
{
    public bool Valid => Failures.Count == 0;
}

/// <summary>
/// Verifies a destruction certificate with no I/O: what a tenant or an auditor runs
/// (<c>strongroom certificate verify</c>). Checks, each reported on its own:
/// <list type="number">
/// <item>the document is canonical version-1 JSON (<see cref="CertificateDocument.Decode"/>);</item>
/// <item>its signer key parses, equals the pinned key when one is given (the key <c>strongroom audit
/// key</c> or <c>audit verify</c> pinned), and is the key of the account's own log
/// (named after <c>strongroom/&lt;deployment&gt;/&lt;account&gt;</c>, which is also the log's origin);</item>
/// <item>the detached Ed25519 signature verifies over the exact document bytes;</item>
/// <item>the checkpoint is a signed note of that origin verified by the same key;</item>
/// <item>each entry's leaf hash with its proof reaches the checkpoint's root at its size;</item>
/// <item>each entry is a canonical audit entry naming this destruction
/// (<see cref="AuditActions.DestructionDetail"/>), with exactly one key-destruction entry, and a
/// sweep-completion entry exactly when the document says the sweep completed.</item>
/// </list>
/// </summary>
public static class CertificateVerifier
{
    public static CertificateVerification Verify(ReadOnlySpan<byte> document, ReadOnlySpan<byte> signature, NoteVerifierKey? pinned = null)
    {
        var failures = new List<CertificateFailure>();
        CertificateDocument parsed;
        try
        {
            parsed = CertificateDocument.Decode(document);
        }
        catch (FormatException exception)
        {
            failures.Add(new(CertificateFailureKind.Malformed, exception.Message));
            return new CertificateVerification(failures, null, null);
        }

        NoteVerifierKey key;
        try
        {
            key = NoteVerifierKey.Parse(parsed.VerifierKey);
            if (key.ToString() != parsed.VerifierKey)
            {
                throw new FormatException("it is not written in its one canonical form.");
            }
        }
        catch (FormatException exception)
        {
            failures.Add(new(CertificateFailureKind.Malformed, "The signer's verifier key does not parse: " + exception.Message));
            return new CertificateVerification(failures, parsed, null);
        }

        if (pinned is not null && !pinned.Equals(key))
        {
            failures.Add(new(CertificateFailureKind.PinnedKey, $"The certificate is signed by '{key}', not by the pinned key '{pinned}'."));
        }

        // With a pinned key, the signature must be that key's whatever the document claims.
        var signingKey = pinned ?? key;
        if (signature.Length != Ed25519.SignatureBytes || !Ed25519.Verify(signingKey.PublicKey, document, signature))
        {
            failures.Add(new(CertificateFailureKind.Signature, "The signature does not verify over the document's bytes: the document or the signature was changed, or another key signed it."));
        }

        var origin = TransparencyLog.OriginOf(parsed.Deployment, parsed.Account);
        if (!Names.IsValidAccountName(parsed.Account) || TransparencyLog.IsReservedAccountName(parsed.Account))
        {
            failures.Add(new(CertificateFailureKind.Binding, $"'{parsed.Account}' is not an account name."));
        }

        if (key.Name != origin)
        {
            failures.Add(new(CertificateFailureKind.Binding, $"The signer's key is named '{key.Name}', not after the account's log '{origin}'."));
        }

        if (parsed.Log.Origin != origin)
        {
            failures.Add(new(CertificateFailureKind.Binding, $"The log is '{parsed.Log.Origin}', not the account's log '{origin}'."));
        }

        CheckFacts(parsed, failures);
        if (CheckCheckpoint(parsed, key, failures) is { } checkpoint)
        {
            CheckEntries(parsed, checkpoint, failures);
        }

        return new CertificateVerification(failures, parsed, key);
    }

    private static Checkpoint? CheckCheckpoint(CertificateDocument document, NoteVerifierKey key, List<CertificateFailure> failures)
    {
        SignedNote note;
        Checkpoint checkpoint;
        try
        {
            note = SignedNote.Parse(document.Log.Checkpoint);
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (FormatException exception)
        {
            failures.Add(new(CertificateFailureKind.Checkpoint, "The checkpoint does not parse: " + exception.Message));
            return null;
        }

        if (!note.VerifiedBy(key))
        {
            failures.Add(new(CertificateFailureKind.Checkpoint, $"The checkpoint is not signed by the certificate's key '{key.Name}'."));
        }

        if (checkpoint.Origin != document.Log.Origin)
        {
            failures.Add(new(CertificateFailureKind.Checkpoint, $"The checkpoint is of '{checkpoint.Origin}', not of '{document.Log.Origin}'."));
        }

        return checkpoint;
    }

    private static void CheckEntries(CertificateDocument document, Checkpoint checkpoint, List<CertificateFailure> failures)
    {
        var keysEntries = 0;
        var sweepEntries = 0;
        var seen = new HashSet<long>();
        foreach (var item in document.Log.Entries)
        {
            if (!seen.Add(item.Index))
            {
                failures.Add(new(CertificateFailureKind.Entry, $"Entry {item.Index} appears twice."));
                continue;
            }

            if (item.Index >= checkpoint.Size || !MerkleTree.VerifyInclusion(item.Index, checkpoint.Size, MerkleTree.LeafHash(item.Entry), item.Proof, checkpoint.RootHash))
            {
                failures.Add(new(CertificateFailureKind.Inclusion, $"Entry {item.Index} is not in the log at the checkpoint's size {checkpoint.Size}: its proof does not reach the root."));
            }

            AuditEntry entry;
            try
            {
                entry = AuditEntry.Decode(item.Entry);
            }
            catch (FormatException exception)
            {
                failures.Add(new(CertificateFailureKind.Entry, $"Entry {item.Index} is not a canonical audit entry: {exception.Message}"));
                continue;
            }

            var names = entry.Details.Any(detail => detail.Key == AuditActions.DestructionDetail && detail.Value == document.Id);
            if (!names || entry.Outcome != AuditOutcomes.Success)
            {
                failures.Add(new(CertificateFailureKind.Entry, $"Entry {item.Index} ({entry.Action}) is not a successful entry of destruction {document.Id}."));
                continue;
            }

            switch (entry.Action)
            {
                case AuditActions.DestroyKeys:
                    keysEntries++;
                    break;
                case AuditActions.SweepComplete:
                    sweepEntries++;
                    break;
                default:
                    failures.Add(new(CertificateFailureKind.Entry, $"Entry {item.Index} is a {entry.Action}, not a key destruction or a sweep completion."));
                    break;
            }
        }

        if (keysEntries != 1)
        {
            failures.Add(new(CertificateFailureKind.Entry, $"The certificate carries {keysEntries} key-destruction entries of destruction {document.Id}; it needs exactly one."));
        }

        var swept = document.SweepCompletedOn is not null;
        if (sweepEntries != (swept ? 1 : 0))
        {
            failures.Add(new(CertificateFailureKind.Entry, swept
                ? $"The sweep is said complete but the certificate carries {sweepEntries} sweep-completion entries; it needs exactly one."
                : "The certificate carries a sweep-completion entry but says the sweep is not complete."));
        }
    }

    private static void CheckFacts(CertificateDocument document, List<CertificateFailure> failures)
    {
        if (document.SweepCompletedOn is { } completed)
        {
            if (document.Sites.Any(site => !site.SweepComplete))
            {
                failures.Add(new(CertificateFailureKind.Inconsistent, "The sweep is said complete while a site's sweep is not."));
            }

            if (completed < document.KeysDestroyedOn)
            {
                failures.Add(new(CertificateFailureKind.Inconsistent, "The sweep is said to have completed before the keys were destroyed."));
            }
        }

        if (document.IssuedOn < document.KeysDestroyedOn)
        {
            failures.Add(new(CertificateFailureKind.Inconsistent, "The certificate is dated before the keys were destroyed."));
        }

        var listedDataKeys = document.Keys.Where(key => key.Id.StartsWith(CertificateDocument.DataKeyIdPrefix, StringComparison.Ordinal)).Select(key => key.Id).ToList();
        if (listedDataKeys.Count > 0
            && (listedDataKeys.Count != document.DataKeys.Count || CertificateDocument.DataKeyDigest(listedDataKeys) != document.DataKeys.Sha256))
        {
            failures.Add(new(CertificateFailureKind.Inconsistent, "The data keys listed do not match their count and digest."));
        }

        if (document.Scope.Kind == DestructionKind.AccountClosure && document.Scope.Name != document.Account)
        {
            failures.Add(new(CertificateFailureKind.Inconsistent, "An account closure's scope is the account itself."));
        }
    }

    /// <summary>One line per failure, for a command's output.</summary>
    public static string Describe(CertificateVerification verification)
    {
        ArgumentNullException.ThrowIfNull(verification);
        var text = new StringBuilder();
        foreach (var failure in verification.Failures)
        {
            text.Append(failure).Append('\n');
        }

        return text.ToString();
    }
}
