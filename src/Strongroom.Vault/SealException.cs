namespace Strongroom.Vault;

/// <summary>Why a share or a combination of shares was refused.</summary>
public enum SealRejection
{
    /// <summary>Not a share, mistyped, or damaged (the checksum says so).</summary>
    Malformed,

    /// <summary>A share of another deployment.</summary>
    OtherDeployment,

    /// <summary>A share of this deployment issued before (or after) the current shares, by a rekey.</summary>
    OtherGeneration,

    /// <summary>Well-formed and for this deployment, but not one of the issued shares (its verifier does not match).</summary>
    NotIssued,

    /// <summary>The shares combined into a key that does not open the seal.</summary>
    WrongKey,

    /// <summary>The data directory is not initialised, or the request does not fit its state.</summary>
    InvalidState,
}

/// <summary>
/// A refused share or seal operation. The message is safe to show, log and send: it never
/// contains a share, a key or a fragment of either.
/// </summary>
public sealed class SealException(SealRejection rejection, string message) : Exception(message)
{
    public SealRejection Rejection { get; } = rejection;
}
