namespace Strongroom.WebConsole;

/// <summary>
/// The notices a redirect may announce (<c>?notice=KEY</c>): only known keys are shown, so a
/// crafted link cannot put words on a console page. Pages add their keys to this table.
/// </summary>
public static class ConsoleNotices
{
    private static readonly Dictionary<string, string> Texts = new(StringComparer.Ordinal)
    {
        ["signed-out"] = "You are signed out.",
        ["expired"] = "Your session ended or timed out: sign in again.",
        ["lockbox-requested"] = "The lockbox request was filed.",
        ["lockbox-approved"] = "The lockbox request was approved.",
        ["lockbox-denied"] = "The lockbox request was denied.",
        ["lockbox-activated"] = "The grant is active.",
        ["lockbox-ended"] = "The grant was ended.",
        ["lockbox-revoked"] = "The grant was revoked.",

        // console-tenant: the tenant pages' notices (ConsoleHandler.Tenant).
        ["tenant-lockbox-approved"] = "You approved the lockbox request. It is granted once a security admin approves it too.",
        ["tenant-lockbox-approved-final"] = "You approved the lockbox request: it is now approved (both sides have approved).",
        ["tenant-lockbox-denied"] = "You denied the lockbox request.",
        ["tenant-transfer-approved"] = "You approved the transfer request. It may run once a security admin approves it too.",
        ["tenant-transfer-approved-final"] = "You approved the transfer request: it is now approved (both sides have approved).",
        ["tenant-transfer-denied"] = "You denied the transfer request.",
        ["tenant-grant-revoked"] = "You revoked the grant: its token is refused from the next request on.",
    };

    public static string? Text(string? key) => key is not null && Texts.TryGetValue(key, out var text) ? text : null;
}
