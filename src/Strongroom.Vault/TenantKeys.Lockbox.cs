namespace Strongroom.Vault;

// Lockbox grant tokens (issue 6): signed by a key derived from the platform keyring, so a token
// works only on the deployment that issued it, only while its vault is unsealed, and only while the
// keyring still holds the version that signed it.
public sealed partial class TenantKeys
{
    /// <summary>The derivation purpose of the grant-token key: part of the token format, never to change.</summary>
    public const string GrantTokenDerivationPurpose = "lockbox-grant-token";

    /// <summary>The key that signs lockbox grant tokens stamped with platform key <paramref name="version"/>. The caller wipes it.</summary>
    public byte[] GrantTokenSigningKey(uint version)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.DeriveKey(GrantTokenDerivationPurpose, version);
    }
}
