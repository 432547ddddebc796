using Strongroom.Core;

namespace Strongroom.Vault;

// TOTP seeds of management-plane principals (issue 6): wrapped under the platform keyring (the
// keyring version is recorded in the wrapped bytes), bound to the principal's kind, account and
// name, so the store never holds a seed in the clear and a wrapped seed cannot be moved to another
// principal. Unwrapping needs the vault unsealed (VaultSealed otherwise).
public sealed partial class TenantKeys
{
    /// <summary>Wraps a principal's TOTP seed under the current platform key.</summary>
    public byte[] WrapTotpSeed(PrincipalKind kind, string account, string name, ReadOnlySpan<byte> seed) =>
        PlatformWrap(seed, TotpSeedAssociatedData(kind, account, name));

    /// <summary>Unwraps a principal's TOTP seed; the caller wipes it. IntegrityCheckFailed when it was wrapped for another principal or altered.</summary>
    public byte[] UnwrapTotpSeed(PrincipalKind kind, string account, string name, ReadOnlySpan<byte> wrapped) =>
        PlatformUnwrap(wrapped, TotpSeedAssociatedData(kind, account, name));

    private static byte[] TotpSeedAssociatedData(PrincipalKind kind, string account, string name) =>
        System.Text.Encoding.UTF8.GetBytes($"totp-seed v1\n{(int)kind}\n{account}\n{name}");
}
