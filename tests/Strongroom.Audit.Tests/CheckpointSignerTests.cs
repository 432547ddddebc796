using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Audit.Tests;

/// <summary>The deployment's checkpoint key: derived from the keyring, stable across rotations, unavailable while sealed.</summary>
public sealed class CheckpointSignerTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-signer-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Signs_checkpoints_that_its_verifier_key_verifies()
    {
        using var rootKey = RootKey.Generate(new SeededRandomSource(1));
        using var seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        var signer = new CheckpointSigner(seal);
        var checkpoint = new Checkpoint("strongroom/0011/acme", 3, MerkleTree.EmptyRoot());

        var note = SignedNote.Parse(signer.Sign(checkpoint));
        Assert.Equal(checkpoint.ToText(), note.Text);
        var key = signer.VerifierKey(checkpoint.Origin);
        Assert.Equal(signer.PublicKey(), key.PublicKey);
        Assert.True(note.VerifiedBy(key));
        Assert.False(note.VerifiedBy(signer.VerifierKey("strongroom/0011/other")));
    }

    [Fact]
    public void The_key_survives_keyring_rotation()
    {
        using var rootKey = RootKey.Generate(new SeededRandomSource(1));
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2));
        using var seal = SealState.Unsealed(keyring, null, new SeededRandomSource(3));
        var signer = new CheckpointSigner(seal);
        var before = signer.PublicKey();

        keyring.Rotate(rootKey);
        Assert.Equal(2u, keyring.CurrentVersion);
        Assert.Equal(before, signer.PublicKey());

        // And a restart: the same keyring file opened again.
        using var reopened = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(4)), null, new SeededRandomSource(5));
        Assert.Equal(before, new CheckpointSigner(reopened).PublicKey());
    }

    [Fact]
    public void Different_keyrings_give_different_keys()
    {
        using var rootKey = RootKey.Generate(new SeededRandomSource(1));
        using var first = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "a"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        using var second = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "b"), rootKey, new SeededRandomSource(4)), null, new SeededRandomSource(3));
        Assert.NotEqual(new CheckpointSigner(first).PublicKey(), new CheckpointSigner(second).PublicKey());
    }

    [Fact]
    public void Sealed_vault_refuses_with_VaultSealed()
    {
        using var rootKey = RootKey.Generate(new SeededRandomSource(1));
        using var seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        var signer = new CheckpointSigner(seal);
        seal.Seal();

        Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => signer.PublicKey()).Code);
        Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => signer.VerifierKey("o")).Code);
        Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => signer.Sign(new Checkpoint("o", 0, MerkleTree.EmptyRoot()))).Code);
    }
}
