using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;

namespace Strongroom.Audit.Tests;

/// <summary>
/// The tenant's verifier against an honest log and against every tampering the issue names: each
/// is detected with the right kind and the first index where the log differs.
/// </summary>
public sealed class LogVerifierTests
{
    [Fact]
    public async Task A_clean_log_verifies_and_pins_its_state()
    {
        var log = MemoryLog.WithEntries(20);
        var result = await LogVerifier.VerifyAsync(log, previous: null, MemoryLog.Key);

        Assert.True(result.Ok, result.Message);
        Assert.Null(result.FirstBadIndex);
        Assert.Equal(20, result.EntriesChecked);
        Assert.Equal(0, result.EntriesPruned);
        Assert.Equal(20, result.Checkpoint!.Size);
        var state = result.NewState!;
        Assert.Equal(MemoryLog.Origin, state.Origin);
        Assert.Equal(MemoryLog.Key.ToString(), state.VerifierKey);
        Assert.Equal(log.Note, state.CheckpointNote);
        Assert.Equal(20, state.Size);
        Assert.Equal(log.Root(20), state.RootHash);
        Assert.Equal(20 * 32, state.LeafHashes.Length);
        Assert.Equal(log.Entries[7].LeafHash, state.LeafHash(7).ToArray());
    }

    [Fact]
    public async Task An_empty_log_verifies()
    {
        var log = MemoryLog.WithEntries(0);
        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.True(result.Ok, result.Message);
        Assert.Equal(0, result.NewState!.Size);

        log.Append(MemoryLog.Body(0));
        log.Publish();
        var second = await LogVerifier.VerifyAsync(log, result.NewState, null);
        Assert.True(second.Ok, second.Message);
        Assert.Equal(0, log.ProofRequests); // from size 0 there is nothing to prove
    }

    [Fact]
    public async Task A_second_run_checks_consistency_with_the_first()
    {
        var log = MemoryLog.WithEntries(13);
        var first = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.True(first.Ok, first.Message);

        for (var i = 13; i < 40; i++)
        {
            log.Append(MemoryLog.Body(i));
        }

        log.Publish();
        var second = await LogVerifier.VerifyAsync(log, first.NewState, pinnedKey: null);
        Assert.True(second.Ok, second.Message);
        Assert.Equal(40, second.NewState!.Size);
        Assert.Equal(1, log.ProofRequests);

        // Unchanged since: verifies again without asking for a proof; the same key may be given again.
        var third = await LogVerifier.VerifyAsync(log, second.NewState, MemoryLog.Key);
        Assert.True(third.Ok, third.Message);
        Assert.Equal(1, log.ProofRequests);
    }

    [Fact]
    public async Task Logs_longer_than_a_page_are_read_in_pages_and_short_pages_are_followed()
    {
        var log = MemoryLog.WithEntries(Limits.AuditEntriesPageMax + 234);
        log.PageMax = 300;
        var progress = new List<long>();
        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key, new SynchronousProgress(progress));
        Assert.True(result.Ok, result.Message);
        Assert.Equal(Limits.AuditEntriesPageMax + 234, result.EntriesChecked);
        Assert.Equal(Limits.AuditEntriesPageMax + 234, progress[^1]);
    }

    [Fact]
    public async Task An_edited_entry_body_is_an_entry_mismatch_at_its_index()
    {
        var log = MemoryLog.WithEntries(20);
        var edited = MemoryLog.Body(6, action: "GetBlob");
        log.Entries[6] = log.Entries[6] with { Body = edited };

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.EntryMismatch, result.Status);
        Assert.Equal(6, result.FirstBadIndex);
        Assert.Null(result.NewState);
    }

    [Fact]
    public async Task An_edited_body_with_its_leaf_hash_recomputed_is_a_root_mismatch_at_its_index()
    {
        var log = MemoryLog.WithEntries(20);
        var edited = MemoryLog.Body(11, action: "GetBlob");
        log.Entries[11] = new LogSourceEntry(11, MerkleTree.LeafHash(edited), edited);

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.RootMismatch, result.Status);
        Assert.Equal(11, result.FirstBadIndex);
    }

    [Fact]
    public async Task A_non_canonical_body_is_an_entry_mismatch_even_when_its_hash_matches()
    {
        var log = MemoryLog.WithEntries(5, index => index == 3
            ? System.Text.Encoding.UTF8.GetBytes(MemoryLog.Text(MemoryLog.Body(index)).Replace(",", ", ", StringComparison.Ordinal))
            : MemoryLog.Body(index));

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.EntryMismatch, result.Status);
        Assert.Equal(3, result.FirstBadIndex);
    }

    [Fact]
    public async Task A_deleted_entry_is_missing_at_its_index()
    {
        var log = MemoryLog.WithEntries(20);
        log.Entries.RemoveAt(9);

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.MissingEntry, result.Status);
        Assert.Equal(9, result.FirstBadIndex);
    }

    [Fact]
    public async Task A_deleted_last_entry_is_missing_at_its_index()
    {
        var log = MemoryLog.WithEntries(20);
        log.Entries.RemoveAt(19);

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.MissingEntry, result.Status);
        Assert.Equal(19, result.FirstBadIndex);
    }

    [Fact]
    public async Task Reordered_entries_are_found_at_the_first_swapped_index()
    {
        var log = MemoryLog.WithEntries(20);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        // Swap two rows (body and leaf hash move together); the stored tree is left as it was.
        (log.Entries[5], log.Entries[12]) = (log.Entries[12] with { Index = 5 }, log.Entries[5] with { Index = 12 });

        var fresh = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.RootMismatch, fresh.Status);
        Assert.Equal(5, fresh.FirstBadIndex);

        var again = await LogVerifier.VerifyAsync(log, pinned, null);
        Assert.Equal(LogVerificationStatus.RootMismatch, again.Status);
        Assert.Equal(5, again.FirstBadIndex);
    }

    [Fact]
    public async Task Reordered_entries_with_the_tree_recomputed_and_re_signed_are_inconsistent_after_pinning()
    {
        var log = MemoryLog.WithEntries(20);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        var bodies = log.Bodies.ToList();
        (bodies[5], bodies[12]) = (bodies[12], bodies[5]);
        var rewritten = MemoryLog.Rebuilt(bodies);

        var result = await LogVerifier.VerifyAsync(rewritten, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, result.Status);
        Assert.Equal(5, result.FirstBadIndex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public async Task A_deleted_and_renumbered_tail_with_a_re_signed_checkpoint_is_inconsistent_after_pinning(int extraAppended)
    {
        var log = MemoryLog.WithEntries(20);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        var bodies = log.Bodies.Where((_, i) => i != 8).Concat(Enumerable.Range(100, extraAppended).Select(i => MemoryLog.Body(i))).ToList();
        var rewritten = MemoryLog.Rebuilt(bodies);

        // On its own the rewritten log is a perfectly good log...
        Assert.True((await LogVerifier.VerifyAsync(rewritten, null, MemoryLog.Key)).Ok);

        // ...but not an extension of the one the tenant pinned.
        var result = await LogVerifier.VerifyAsync(rewritten, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, result.Status);
        Assert.Equal(8, result.FirstBadIndex);
    }

    [Fact]
    public async Task A_substituted_entry_in_a_forked_tree_is_inconsistent_at_its_index()
    {
        var log = MemoryLog.WithEntries(20);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        // The operator substitutes entry 14, recomputes every hash, re-signs, and keeps appending.
        var bodies = log.Bodies.ToList();
        bodies[14] = MemoryLog.Body(14, action: "GetBlobProperties");
        bodies.AddRange(Enumerable.Range(20, 10).Select(i => MemoryLog.Body(i)));
        var fork = MemoryLog.Rebuilt(bodies);

        var result = await LogVerifier.VerifyAsync(fork, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, result.Status);
        Assert.Equal(14, result.FirstBadIndex);
        Assert.Null(result.NewState);
    }

    [Fact]
    public async Task A_shrunk_log_is_inconsistent_at_its_new_size()
    {
        var log = MemoryLog.WithEntries(20);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        var truncated = MemoryLog.Rebuilt(log.Bodies.Take(15));
        var result = await LogVerifier.VerifyAsync(truncated, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, result.Status);
        Assert.Equal(15, result.FirstBadIndex);

        // An old checkpoint of the same tree (rolled back) is caught the same way.
        log.Publish(size: 15);
        log.Entries.RemoveRange(15, 5);
        var rolledBack = await LogVerifier.VerifyAsync(log, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, rolledBack.Status);
        Assert.Equal(15, rolledBack.FirstBadIndex);
    }

    [Fact]
    public async Task A_consistency_proof_that_does_not_verify_is_inconsistent()
    {
        var log = MemoryLog.WithEntries(10);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;
        log.Append(MemoryLog.Body(10));
        log.Publish();
        log.ProofOverride = (_, _) => [new byte[32]];

        var result = await LogVerifier.VerifyAsync(log, pinned, null);
        Assert.Equal(LogVerificationStatus.Inconsistent, result.Status);
        Assert.Null(result.FirstBadIndex);
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_is_an_unknown_key()
    {
        var log = MemoryLog.WithEntries(5);
        var otherSeed = Enumerable.Repeat((byte)7, 32).ToArray();
        log.Publish(seed: otherSeed);

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.UnknownKey, result.Status);

        // After pinning, a server that switches keys is refused too.
        log.Publish();
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;
        log.Publish(seed: otherSeed);
        Assert.Equal(LogVerificationStatus.UnknownKey, (await LogVerifier.VerifyAsync(log, pinned, null)).Status);

        // And so is a caller passing a key other than the pinned one.
        log.Publish();
        var otherKey = NoteVerifierKey.ForEd25519(MemoryLog.Origin, Ed25519.PublicKeyFromSeed(otherSeed));
        Assert.Equal(LogVerificationStatus.UnknownKey, (await LogVerifier.VerifyAsync(log, pinned, otherKey)).Status);
    }

    [Fact]
    public async Task A_bad_signature_by_the_pinned_key_is_a_bad_signature()
    {
        var log = MemoryLog.WithEntries(5);
        var lines = log.Note.Split('\n');
        var signature = Convert.FromBase64String(lines[^2].Split(' ')[^1]);
        signature[20] ^= 1;
        lines[^2] = $"\u2014 {MemoryLog.Origin} {Convert.ToBase64String(signature)}";
        log.Note = string.Join('\n', lines);

        var result = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.BadSignature, result.Status);
    }

    [Fact]
    public async Task A_checkpoint_for_another_origin_is_refused()
    {
        var log = MemoryLog.WithEntries(5);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;

        // Signed with the same key name but stating another log's origin in its body.
        var checkpoint = new Checkpoint("strongroom/00112233/other", 5, log.Root(5));
        log.Note = SignedNote.Sign(checkpoint.ToText(), MemoryLog.Origin, MemoryLog.Seed);
        Assert.Equal(LogVerificationStatus.OriginMismatch, (await LogVerifier.VerifyAsync(log, pinned, null)).Status);
        Assert.Equal(LogVerificationStatus.OriginMismatch, (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a note\n")]
    [InlineData("strongroom/00112233/acme\n05\nAAAA\n")]
    public async Task Malformed_checkpoints_are_malformed(string text)
    {
        var log = MemoryLog.WithEntries(5);
        log.Note = text.Length == 0 || !text.Contains("acme", StringComparison.Ordinal) ? text : SignedNote.Sign(text, MemoryLog.Origin, MemoryLog.Seed);
        Assert.Equal(LogVerificationStatus.Malformed, (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).Status);
    }

    [Fact]
    public async Task A_repeated_entry_or_bad_leaf_hash_is_malformed()
    {
        var log = MemoryLog.WithEntries(6);
        log.Entries.Insert(3, log.Entries[2]);
        var repeated = await LogVerifier.VerifyAsync(log, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.Malformed, repeated.Status);
        Assert.Equal(3, repeated.FirstBadIndex);

        var other = MemoryLog.WithEntries(6);
        other.Entries[4] = other.Entries[4] with { LeafHash = new byte[31], Body = null };
        var badHash = await LogVerifier.VerifyAsync(other, null, MemoryLog.Key);
        Assert.Equal(LogVerificationStatus.Malformed, badHash.Status);
        Assert.Equal(4, badHash.FirstBadIndex);
    }

    [Fact]
    public async Task Pruned_entries_count_by_their_leaf_hash_and_still_verify()
    {
        var log = MemoryLog.WithEntries(30);
        var pinned = (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).NewState;
        for (var i = 0; i < 12; i++)
        {
            log.Entries[i] = log.Entries[i] with { Body = null };
        }

        log.Append(MemoryLog.Body(30));
        log.Publish();
        var result = await LogVerifier.VerifyAsync(log, pinned, null);
        Assert.True(result.Ok, result.Message);
        Assert.Equal(12, result.EntriesPruned);
        Assert.Equal(19, result.EntriesChecked);

        // A pruned entry whose stated hash was altered no longer hashes into the root.
        log.Entries[4] = log.Entries[4] with { LeafHash = MerkleTree.LeafHash("forged"u8) };
        var forged = await LogVerifier.VerifyAsync(log, pinned, null);
        Assert.Equal(LogVerificationStatus.RootMismatch, forged.Status);
        Assert.Equal(4, forged.FirstBadIndex);
    }

    [Fact]
    public async Task Checkpoints_from_the_vault_signer_verify()
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-verifier-").FullName;
        try
        {
            using var rootKey = RootKey.Generate(new SeededRandomSource(1));
            using var seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
            var signer = new CheckpointSigner(seal);
            var log = MemoryLog.WithEntries(9);
            log.Note = signer.Sign(new Checkpoint(MemoryLog.Origin, 9, log.Root(9)));

            var result = await LogVerifier.VerifyAsync(log, null, signer.VerifierKey(MemoryLog.Origin));
            Assert.True(result.Ok, result.Message);
            Assert.Equal(LogVerificationStatus.UnknownKey, (await LogVerifier.VerifyAsync(log, null, MemoryLog.Key)).Status);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_first_run_needs_a_key()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => LogVerifier.VerifyAsync(MemoryLog.WithEntries(1), null, null));
    }

    private sealed class SynchronousProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value) => values.Add(value);
    }
}
