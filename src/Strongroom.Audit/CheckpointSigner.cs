using System.Security.Cryptography;

using Strongroom.Crypto;
using Strongroom.Vault;

namespace Strongroom.Audit;

/// <summary>
/// Signs checkpoints with the deployment's Ed25519 key, held by the vault: its seed is derived
/// from the keyring's first version (<c>Keyring.DeriveKey</c>, purpose
/// "transparency checkpoint signing v1"), so it survives restarts and keyring rotations, exists
/// only while the vault is unsealed, and is wiped after each use. One key serves every log of the
/// deployment; each log's verifier key is named after the log's origin.
/// </summary>
public sealed class CheckpointSigner(SealState seal)
{
    public const string DerivationPurpose = "transparency checkpoint signing v1";

    /// <summary>The public key (VaultSealed while sealed).</summary>
    public byte[] PublicKey()
    {
        var seed = Seed();
        try
        {
            return Ed25519.PublicKeyFromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The verifier key of a log whose origin is <paramref name="origin"/> (VaultSealed while sealed).</summary>
    public NoteVerifierKey VerifierKey(string origin) => NoteVerifierKey.ForEd25519(origin, PublicKey());

    /// <summary>The signed note of <paramref name="checkpoint"/>, signed under the key named after its origin (VaultSealed while sealed).</summary>
    public string Sign(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var text = checkpoint.ToText();
        var seed = Seed();
        try
        {
            return SignedNote.Sign(text, checkpoint.Origin, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// Signs arbitrary note text (UTF-8, ending in a newline) under <paramref name="keyName"/> with
    /// the same key, so whatever verifies a log's checkpoints verifies it too (VaultSealed while
    /// sealed). Callers keep their texts distinguishable from checkpoints by format: a checkpoint is
    /// three or more lines starting with its origin; a placement report is one line of JSON.
    /// </summary>
    public string SignNote(string text, string keyName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seed = Seed();
        try
        {
            return SignedNote.Sign(text, keyName, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// A detached Ed25519 signature over <paramref name="message"/> with the same key (VaultSealed
    /// while sealed): destruction certificates, so the key a tenant pinned for its log verifies
    /// them too. Callers sign only documents that can never be a note's text: a certificate is
    /// canonical JSON starting with its own type, never a checkpoint (which starts with its origin)
    /// nor a placement report's note (whose JSON starts with its version).
    /// </summary>
    public byte[] SignDetached(ReadOnlySpan<byte> message)
    {
        var seed = Seed();
        try
        {
            return Ed25519.Sign(seed, message);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    // Version 1 always: the first platform key stays in the keyring through rotations (old
    // versions are kept to unwrap old data), so the signing key never changes. The caller wipes it.
    private byte[] Seed()
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.DeriveKey(DerivationPurpose, 1);
    }

    internal SealState Seal => seal;
}
