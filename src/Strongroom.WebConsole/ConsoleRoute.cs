namespace Strongroom.WebConsole;

/// <summary>Who may reach a route at all (finer rules are the services', as for the JSON API).</summary>
public enum ConsoleAudience
{
    /// <summary>No session needed (sign-in, the style sheet).</summary>
    Anonymous,

    /// <summary>Any signed-in principal.</summary>
    Signed,

    /// <summary>Operators only (any role; the page applies the API's role rule).</summary>
    Operator,

    /// <summary>Tenant administrators only (their own account).</summary>
    TenantAdmin,
}

/// <summary>
/// A console route: method, path template relative to <c>/console/</c> (<c>""</c> is the
/// overview, <c>lockbox/{id}/approve</c> has a value), its audience, whether it answers while
/// the vault is sealed, and whether it answers a tenant administrator of a closed account.
/// </summary>
public sealed record ConsoleRoute(string Method, string Template, Func<ConsoleCall, Task> Handle, ConsoleAudience Audience, bool WhileSealed = false, bool AfterClosure = false)
{
    private readonly string[] parts = Template.Split('/');

    /// <summary>The operation a request is counted under in the metrics: <c>GET lockbox</c>, <c>POST lockbox/{id}/approve</c>.</summary>
    public string Operation { get; } = Method + " " + Template;

    public bool TryMatch(string[] segments, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (segments.Length != parts.Length)
        {
            return false;
        }

        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length > 2 && part[0] == '{' && part[^1] == '}')
            {
                if (segments[i].Length == 0)
                {
                    return false;
                }

                values[part[1..^1]] = Uri.UnescapeDataString(segments[i]);
            }
            else if (!string.Equals(part, segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
