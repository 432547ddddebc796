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
    };

    public static string? Text(string? key) => key is not null && Texts.TryGetValue(key, out var text) ? text : null;
}
