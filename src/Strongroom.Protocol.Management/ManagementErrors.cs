using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>The one place an <see cref="ErrorCode"/> becomes a management-plane status and code.</summary>
public static class ManagementErrors
{
    public static (int Status, string Code, string Message) Map(ErrorCode code, string message)
    {
        var status = code switch
        {
            ErrorCode.LoginFailed or ErrorCode.SessionInvalid or ErrorCode.TotpCodeReused => 401,
            ErrorCode.PrincipalLocked or ErrorCode.RoleNotPermitted or ErrorCode.SelfApprovalNotAllowed
                or ErrorCode.GrantNotActive or ErrorCode.GrantScopeMismatch or ErrorCode.TransferNotApproved => 403,
            ErrorCode.PrincipalNotFound or ErrorCode.LockboxRequestNotFound or ErrorCode.TransferNotFound
                or ErrorCode.AccountNotFound or ErrorCode.ContainerNotFound or ErrorCode.BlobNotFound or ErrorCode.SiteNotFound or ErrorCode.AuditLogNotFound
                or ErrorCode.DestructionNotFound or ErrorCode.CertificateNotFound or ErrorCode.VersionNotFound or ErrorCode.ContainerNotDeleted => 404,
            ErrorCode.PrincipalAlreadyExists or ErrorCode.AccountAlreadyExists or ErrorCode.InvalidAccessState
                or ErrorCode.InvalidAccountState or ErrorCode.BlobImmutableDueToLegalHold or ErrorCode.ContainerImmutableDueToLegalHold
                or ErrorCode.ContainerAlreadyExists or ErrorCode.PermanentDeleteNotAllowed => 409,
            ErrorCode.AccountClosed => 403,
            ErrorCode.VaultSealed or ErrorCode.InsufficientSitesAvailable => 503,
            ErrorCode.AuditLogUnavailable or ErrorCode.IntegrityCheckFailed => 500,
            _ => 400,
        };

        // A failed sign-in says nothing about which factor failed.
        var text = code switch
        {
            ErrorCode.LoginFailed => "Sign-in failed: wrong name, password or code, or the principal is disabled.",
            ErrorCode.AuditLogUnavailable or ErrorCode.IntegrityCheckFailed => "The server encountered an internal error.",
            _ => message,
        };
        return (status, code.ToString(), text);
    }
}
