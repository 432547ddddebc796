namespace Strongroom.Destruction;

/// <summary>
/// Crypto-shredding: purging soft-deleted data past its retention (or early, by a tenant
/// administrator), closing, reopening and destroying accounts, and sweeping sites until no
/// ciphertext of a destroyed scope remains. Owner: helper "shredding" (issue 7).
/// </summary>
public sealed class DestructionService
{
}
