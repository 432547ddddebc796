namespace Strongroom.Core;

/// <summary>
/// Always-on assertions for broken invariants (never compiled out, unlike Debug.Assert).
/// A failure means the process or the stored state is wrong, not the request.
/// </summary>
public static class Invariant
{
    public static void True(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvariantViolationException(message);
        }
    }
}

public sealed class InvariantViolationException(string message) : Exception("Invariant violated: " + message);
