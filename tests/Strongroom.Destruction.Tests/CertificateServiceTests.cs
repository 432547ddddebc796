using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Destruction.Tests;

/// <summary>Issuing, storing and verifying certificates against a real log and the deployment's key.</summary>
public sealed class CertificateServiceTests : IAsyncLifetime
{
    private readonly CertificateFixture fixture = new();

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task A_certificate_at_key_destruction_verifies_under_the_account_logs_key()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        var certificate = await fixture.Certificates.IssueAsync(destruction);

        Assert.Equal(1, certificate.Revision);
        var result = CertificateVerifier.Verify(certificate.Document, certificate.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.True(CertificateVerifier.Verify(certificate.Document, certificate.Signature).Valid);

        var document = result.Document!;
        Assert.Equal(CertificateFixture.Deployment, document.Deployment);
        Assert.Equal(new CertificateScope(DestructionKind.ContainerPurge, "photos"), document.Scope);
        Assert.Null(document.SweepCompletedOn);
        Assert.Equal(["data-key/00000000000000000000000000000001", "data-key/00000000000000000000000000000002", "scope-kek/acme/s1", "vault-key/acme/cmk/0123"], document.Keys.Select(key => key.Id));
        Assert.Equal(2, document.DataKeys.Count);
        Assert.Equal(["east-1", "west-1"], document.Sites.Select(site => site.SiteId));
        Assert.Equal(fixture.Key.ToString(), document.VerifierKey);
        var entry = Assert.Single(document.Log.Entries);
        Assert.Equal(destruction.KeysEntryIndex, entry.Index);

        // The issue itself is in the account's log, naming the document's digest.
        var head = await fixture.Audit.GetTreeHeadAsync(CertificateFixture.Account);
        var last = AuditEntry.Decode((await fixture.Audit.ReadEntriesAsync(CertificateFixture.Account, head.Size - 1, head.Size))[0].Body);
        Assert.Equal(AuditActions.IssueCertificate, last.Action);
        Assert.Contains(new KeyValuePair<string, string>("sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.Document))), last.Details);
    }

    [Fact]
    public async Task The_sweep_completion_issues_revision_two_and_the_store_keeps_both()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        var first = await fixture.Certificates.IssueAsync(destruction);
        var swept = await fixture.SweptAsync(destruction);
        var second = await fixture.Certificates.IssueAsync(swept);

        Assert.Equal(2, second.Revision);
        var result = CertificateVerifier.Verify(second.Document, second.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.Equal(2, result.Document!.Log.Entries.Count);
        Assert.NotNull(result.Document.SweepCompletedOn);

        var latest = await fixture.Certificates.GetAsync(CertificateFixture.Account, destruction.Id);
        Assert.Equal(second.Document, latest.Document);
        Assert.Equal(first.Document, (await fixture.Certificates.GetAsync(CertificateFixture.Account, destruction.Id, 1)).Document);
        var listed = Assert.Single(await fixture.Certificates.ListAsync(CertificateFixture.Account));
        Assert.Equal(2, listed.Revision);

        var missing = await Assert.ThrowsAsync<StorageException>(() => fixture.Certificates.GetAsync(CertificateFixture.Account, destruction.Id, 3));
        Assert.Equal(ErrorCode.CertificateNotFound, missing.Code);
        missing = await Assert.ThrowsAsync<StorageException>(() => fixture.Certificates.GetAsync("globex", destruction.Id));
        Assert.Equal(ErrorCode.CertificateNotFound, missing.Code);
    }

    [Fact]
    public async Task An_entry_whose_body_retention_erased_is_carried_over_from_the_previous_revision()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        await fixture.Certificates.IssueAsync(destruction);
        fixture.Time.Advance(TimeSpan.FromDays(200));
        Assert.True(await fixture.Store.PruneAuditEntryBodiesAsync(CertificateFixture.Account, fixture.Time.GetUtcNow()) > 0);
        Assert.Null((await fixture.Audit.ReadEntriesAsync(CertificateFixture.Account, destruction.KeysEntryIndex!.Value, destruction.KeysEntryIndex.Value + 1))[0].Body);

        var second = await fixture.Certificates.IssueAsync(await fixture.SweptAsync(destruction));
        var result = CertificateVerifier.Verify(second.Document, second.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.Equal(2, result.Document!.Log.Entries.Count);
    }

    [Fact]
    public async Task An_account_closure_names_the_account_as_its_scope()
    {
        var destruction = await fixture.KeysDestroyedAsync("d-closure", DestructionKind.AccountClosure);
        var certificate = await fixture.Certificates.IssueAsync(destruction with { Scope = "" });
        var result = CertificateVerifier.Verify(certificate.Document, certificate.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.Equal(new CertificateScope(DestructionKind.AccountClosure, CertificateFixture.Account), result.Document!.Scope);
    }

    [Fact]
    public async Task Above_the_listing_bound_data_keys_are_certified_by_count_and_digest_only()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        var dataKeys = Enumerable.Range(0, Limits.CertificateKeyIdsMax + 1).Select(i => new DestroyedKey($"data-key/{i:x32}", destruction.KeysDestroyedOn)).ToList();
        var certificate = await fixture.Certificates.IssueAsync(destruction with { Keys = [.. dataKeys, new DestroyedKey("scope-kek/acme/s1", destruction.KeysDestroyedOn)] });
        var result = CertificateVerifier.Verify(certificate.Document, certificate.Signature, fixture.Key);
        Assert.True(result.Valid, CertificateVerifier.Describe(result));
        Assert.Equal(["scope-kek/acme/s1"], result.Document!.Keys.Select(key => key.Id));
        Assert.Equal(dataKeys.Count, result.Document.DataKeys.Count);
        Assert.Equal(CertificateDocument.DataKeyDigest(dataKeys.Select(key => key.Id)), result.Document.DataKeys.Sha256);
    }

    [Fact]
    public async Task A_destruction_without_its_logged_entry_gets_no_certificate()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Certificates.IssueAsync(destruction with { KeysEntryIndex = null }));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Certificates.IssueAsync(destruction with { State = DestructionState.Complete }));

        // An entry of another destruction, or another action, does not make a certificate.
        var other = await fixture.AppendAsync(AuditActions.DestroyKeys, [new(AuditActions.DestructionDetail, "d-other")]);
        await Assert.ThrowsAsync<InvariantViolationException>(() => fixture.Certificates.IssueAsync(destruction with { KeysEntryIndex = other }));
        await Assert.ThrowsAsync<InvariantViolationException>(() => fixture.Certificates.IssueAsync(destruction with { KeysEntryIndex = 0 }));
        Assert.Empty(await fixture.Certificates.ListAsync(CertificateFixture.Account));
    }

    [Fact]
    public async Task A_sealed_vault_issues_nothing()
    {
        var destruction = await fixture.KeysDestroyedAsync();
        fixture.Seal.Seal();
        var sealedError = await Assert.ThrowsAsync<StorageException>(() => fixture.Certificates.IssueAsync(destruction));
        Assert.Equal(ErrorCode.VaultSealed, sealedError.Code);
        Assert.Empty(await fixture.Certificates.ListAsync(CertificateFixture.Account));
    }

    [Fact]
    public async Task Every_changed_value_of_a_real_certificate_fails_verification()
    {
        var destruction = await fixture.SweptAsync(await fixture.KeysDestroyedAsync());
        var certificate = await fixture.Certificates.IssueAsync(destruction);
        var key = fixture.Key;
        Assert.True(CertificateVerifier.Verify(certificate.Document, certificate.Signature, key).Valid);

        // The walker's re-serialisation is the canonical form, so each variant differs in one value only.
        var original = JsonNode.Parse(certificate.Document)!;
        Assert.Equal(Encoding.UTF8.GetString(certificate.Document), original.ToJsonString());

        var variants = 0;
        foreach (var (path, mutated) in Mutations(original))
        {
            variants++;
            var bytes = Encoding.UTF8.GetBytes(mutated.ToJsonString());
            Assert.NotEqual(certificate.Document, bytes);
            var unsigned = CertificateVerifier.Verify(bytes, certificate.Signature, key);
            Assert.False(unsigned.Valid, $"changing {path} went unnoticed");

            // Even signed again with the deployment's own key, a change to the log's evidence fails.
            if (path.StartsWith("$.log", StringComparison.Ordinal))
            {
                var resigned = CertificateVerifier.Verify(bytes, fixture.Audit.Signer.SignDetached(bytes), key);
                Assert.False(resigned.Valid, $"changing {path} (signed again) went unnoticed");
                Assert.DoesNotContain(resigned.Failures, failure => failure.Kind == CertificateFailureKind.Signature);
            }
        }

        Assert.True(variants > 40, $"only {variants} values were changed");
    }

    [Fact]
    public async Task A_flipped_signature_bit_a_wrong_pinned_key_or_a_truncated_signature_fails()
    {
        var certificate = await fixture.Certificates.IssueAsync(await fixture.KeysDestroyedAsync());
        for (var i = 0; i < certificate.Signature.Length; i += 7)
        {
            var signature = (byte[])certificate.Signature.Clone();
            signature[i] ^= 0x01;
            var result = CertificateVerifier.Verify(certificate.Document, signature, fixture.Key);
            Assert.Contains(result.Failures, failure => failure.Kind == CertificateFailureKind.Signature);
        }

        Assert.False(CertificateVerifier.Verify(certificate.Document, certificate.Signature[..^1], fixture.Key).Valid);
        Assert.False(CertificateVerifier.Verify(certificate.Document, [], fixture.Key).Valid);

        // Another log's key of the same deployment, and a key of another deployment.
        var wrong = CertificateVerifier.Verify(certificate.Document, certificate.Signature, fixture.Audit.VerifierKey("globex"));
        Assert.Contains(wrong.Failures, failure => failure.Kind == CertificateFailureKind.PinnedKey);
        var stranger = NoteVerifierKey.ForEd25519(fixture.Key.Name, Crypto.Ed25519.PublicKeyFromSeed(new byte[32]));
        wrong = CertificateVerifier.Verify(certificate.Document, certificate.Signature, stranger);
        Assert.Contains(wrong.Failures, failure => failure.Kind == CertificateFailureKind.PinnedKey);
        Assert.Contains(wrong.Failures, failure => failure.Kind == CertificateFailureKind.Signature);
    }

    [Fact]
    public async Task A_document_signed_by_another_key_claiming_it_fails_against_the_pinned_key()
    {
        // An attacker re-signs a changed document with its own key and puts its key in the document.
        var certificate = await fixture.Certificates.IssueAsync(await fixture.KeysDestroyedAsync());
        var node = JsonNode.Parse(certificate.Document)!;
        var seed = new byte[32];
        seed[0] = 7;
        var attacker = NoteVerifierKey.ForEd25519(fixture.Key.Name, Crypto.Ed25519.PublicKeyFromSeed(seed));
        node["signer"]!["verifierKey"] = attacker.ToString();
        node["objects"] = 0;
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
        var signature = Crypto.Ed25519.Sign(seed, bytes);

        var pinned = CertificateVerifier.Verify(bytes, signature, fixture.Key);
        Assert.Contains(pinned.Failures, failure => failure.Kind == CertificateFailureKind.PinnedKey);

        // Unpinned, the checkpoint inside still gives it away: it is not signed by the claimed key.
        var unpinned = CertificateVerifier.Verify(bytes, signature);
        Assert.Contains(unpinned.Failures, failure => failure.Kind == CertificateFailureKind.Checkpoint);
    }

    [Fact]
    public async Task A_tampered_proof_entry_or_checkpoint_fails_even_when_signed_again()
    {
        var certificate = await fixture.Certificates.IssueAsync(await fixture.SweptAsync(await fixture.KeysDestroyedAsync()));
        CertificateFailureKind Tamper(Action<JsonNode> change)
        {
            var node = JsonNode.Parse(certificate.Document)!;
            change(node);
            var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
            var result = CertificateVerifier.Verify(bytes, fixture.Audit.Signer.SignDetached(bytes), fixture.Key);
            Assert.False(result.Valid);
            return result.Failures[0].Kind;
        }

        // A proof hash replaced; a proof hash dropped.
        Assert.Equal(CertificateFailureKind.Inclusion, Tamper(node => node["log"]!["entries"]![0]!["proof"]![0] = Convert.ToBase64String(new byte[32])));
        Assert.Equal(CertificateFailureKind.Inclusion, Tamper(node => node["log"]!["entries"]![0]!["proof"]!.AsArray().RemoveAt(0)));

        // The sweep entry dropped from a certificate that says the sweep completed.
        Assert.Equal(CertificateFailureKind.Entry, Tamper(node => node["log"]!["entries"]!.AsArray().RemoveAt(1)));

        // A checkpoint of another size signed by the right key: its root does not match the proofs.
        var otherCheckpoint = fixture.Audit.Signer.Sign(new Checkpoint(fixture.Audit.Origin(CertificateFixture.Account), 3, MerkleTree.EmptyRoot()));
        Assert.Equal(CertificateFailureKind.Inclusion, Tamper(node => node["log"]!["checkpoint"] = otherCheckpoint));

        // A checkpoint of another log; an unsigned one.
        var otherLog = fixture.Audit.Signer.Sign(new Checkpoint(fixture.Audit.Origin("globex"), 3, MerkleTree.EmptyRoot()));
        Assert.Equal(CertificateFailureKind.Checkpoint, Tamper(node => node["log"]!["checkpoint"] = otherLog));
        Assert.Equal(CertificateFailureKind.Checkpoint, Tamper(node => node["log"]!["checkpoint"] = node["log"]!["checkpoint"]!.GetValue<string>().Split("\n\n")[0] + "\n\n\u2014 x AAAAAAAA\n"));
    }

    /// <summary>Every leaf value of the document changed once: strings, numbers, booleans and nulls; an array item dropped and an object member removed.</summary>
    private static IEnumerable<(string Path, JsonNode Mutated)> Mutations(JsonNode root)
    {
        var paths = new List<string>();
        Collect(root, "$", paths);
        foreach (var path in paths)
        {
            var copy = root.DeepClone();
            var target = Find(copy, path);
            JsonNode? replacement = target switch
            {
                null => "x",
                JsonValue value when value.GetValueKind() == JsonValueKind.String => ChangeString(value.GetValue<string>()),
                JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<long>() + 1,
                JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => !value.GetValue<bool>(),
                _ => throw new InvalidOperationException(path),
            };
            Replace(copy, path, replacement);
            yield return (path, copy);
        }

        // Structural changes: each member removed.
        var members = new List<string>();
        CollectMembers(root, "$", members);
        foreach (var path in members)
        {
            var copy = root.DeepClone();
            var (parentPath, name) = Split(path);
            ((JsonObject)Find(copy, parentPath)!).Remove(name);
            yield return (path + " (removed)", copy);
        }
    }

    private static string ChangeString(string text)
    {
        // Base64 stays valid base64 of other bytes; other text gets one character changed.
        if (text.Length >= 4 && text.Length % 4 == 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
        {
            var bytes = Convert.FromBase64String(text);
            bytes[0] ^= 0x01;
            return Convert.ToBase64String(bytes);
        }

        var chars = text.ToCharArray();
        var i = chars.Length / 2;
        chars[i] = chars[i] == 'a' ? 'b' : 'a';
        return new string(chars);
    }

    private static void Collect(JsonNode? node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    Collect(child, path + "." + name, paths);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Collect(array[i], $"{path}[{i}]", paths);
                }

                break;
            default:
                paths.Add(path);
                break;
        }
    }

    private static void CollectMembers(JsonNode? node, string path, List<string> paths)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj)
            {
                paths.Add(path + "." + name);
                CollectMembers(child, path + "." + name, paths);
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                CollectMembers(array[i], $"{path}[{i}]", paths);
            }
        }
    }

    private static (string Parent, string Name) Split(string path)
    {
        var dot = path.LastIndexOf('.');
        return (path[..dot], path[(dot + 1)..]);
    }

    private static JsonNode? Find(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var step in Steps(path))
        {
            node = step is int index ? node![index] : node![(string)step];
        }

        return node;
    }

    private static void Replace(JsonNode root, string path, JsonNode? value)
    {
        var steps = Steps(path).ToList();
        var parent = Find(root, path[..path.LastIndexOfAny(['.', '['])]);
        switch (steps[^1])
        {
            case int index:
                parent!.AsArray()[index] = value;
                break;
            case string name:
                parent!.AsObject()[name] = value;
                break;
        }
    }

    private static IEnumerable<object> Steps(string path)
    {
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 1)..end];
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                yield return int.Parse(path[(i + 1)..end], System.Globalization.CultureInfo.InvariantCulture);
                i = end + 1;
            }
        }
    }
}
