namespace Strongroom.Core;

/// <summary>
/// First path segments that belong to the server, not to an account: the Key Vault API's
/// collections (the vault of the authenticated tenant is addressed at the service root, as Azure
/// addresses a vault at its host) and the token endpoint. An account may not take one of these
/// names, or its path-style Blob URLs would be routed to the vault.
/// </summary>
public static class ReservedPaths
{
    public const string Secrets = "secrets";
    public const string Keys = "keys";
    public const string DeletedSecrets = "deletedsecrets";
    public const string DeletedKeys = "deletedkeys";

    /// <summary>The server's own endpoints (health, seal; the bearer token endpoint lives under it too).</summary>
    public const string Server = ".strongroom";

    /// <summary>The Key Vault API's bearer token endpoint: the one path under <see cref="Server"/> that belongs to it.</summary>
    public const string TokenPath = "/" + Server + "/oauth2/token";

    /// <summary>The tenants' transparency log endpoints (served by Protocol.Transparency), under <see cref="Server"/>.</summary>
    public const string TransparencyLogPath = "/" + Server + "/log";

    /// <summary>True when <paramref name="path"/> is the transparency log's prefix or below it; never a Blob path.</summary>
    public static bool IsTransparencyLogPath(string? path) =>
        path is not null && (path == TransparencyLogPath || path.StartsWith(TransparencyLogPath + "/", StringComparison.Ordinal));

    /// <summary>The tenants' placement endpoints (locations, signed reports; served by Protocol.Transparency), under <see cref="Server"/>.</summary>
    public const string PlacementPath = "/" + Server + "/placement";

    /// <summary>True when <paramref name="path"/> is the placement endpoints' prefix or below it; never a Blob path.</summary>
    public static bool IsPlacementPath(string? path) =>
        path is not null && (path == PlacementPath || path.StartsWith(PlacementPath + "/", StringComparison.Ordinal));

    public static readonly IReadOnlyList<string> KeyVaultCollections = [Secrets, Keys, DeletedSecrets, DeletedKeys];

    public static bool IsReservedAccountName(string name) =>
        KeyVaultCollections.Contains(name, StringComparer.Ordinal);

    /// <summary>True when <paramref name="path"/> is served by the Key Vault API: a reserved first segment (e.g. "/secrets/x"), or the token endpoint.</summary>
    public static bool IsKeyVaultPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        var end = path.IndexOf('/', 1);
        var first = end < 0 ? path[1..] : path[1..end];
        return IsReservedAccountName(first) || string.Equals(path, TokenPath, StringComparison.Ordinal);
    }
}
