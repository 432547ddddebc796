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
    public byte[] PublicKey() => throw new NotImplementedException("issue 4: formats");

    /// <summary>The verifier key of a log whose origin is <paramref name="origin"/>.</summary>
    public NoteVerifierKey VerifierKey(string origin) => throw new NotImplementedException("issue 4: formats");

    /// <summary>The signed note of <paramref name="checkpoint"/>, signed under the key named after its origin.</summary>
    public string Sign(Checkpoint checkpoint) => throw new NotImplementedException("issue 4: formats");

    internal SealState Seal => seal;
}
