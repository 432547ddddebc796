using Microsoft.AspNetCore.Http;
using Strongroom.Audit;

namespace Strongroom.Protocol.Transparency;

/// <summary>
/// The tenant's view of its transparency log over HTTPS, under <see cref="PathPrefix"/>,
/// authenticated with the same bearer tokens as the Key Vault API (the token names the account,
/// and an account sees only its own log):
/// <c>GET checkpoint</c> (the signed note, text/plain), <c>GET key</c> (the verifier key),
/// <c>GET entries?start=&amp;end=</c>, <c>GET proof/inclusion?index=&amp;size=</c>,
/// <c>GET proof/consistency?first=&amp;second=</c>, and C2SP tlog-tiles
/// (<c>GET tile/L/N[.p/W]</c>, <c>GET tile/entries/N[.p/W]</c>).
/// </summary>
public sealed class TransparencyProtocolHandler(TransparencyLog log, Func<string, CancellationToken, Task<string?>> authenticateBearer)
{
    public const string PathPrefix = "/.strongroom/log";

    public static bool IsTransparencyPath(string? path) =>
        path is not null && (path == PathPrefix || path.StartsWith(PathPrefix + "/", StringComparison.Ordinal));

    public Task HandleAsync(HttpContext context) => throw new NotImplementedException("issue 4: endpoints");

    internal TransparencyLog Log => log;

    internal Func<string, CancellationToken, Task<string?>> AuthenticateBearer => authenticateBearer;
}
