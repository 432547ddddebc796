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

    /// <summary>The server's own endpoints (the bearer token endpoint lives under it).</summary>
    public const string Server = ".strongroom";

    public static readonly IReadOnlyList<string> KeyVaultCollections = [Secrets, Keys, DeletedSecrets, DeletedKeys];

    public static bool IsReservedAccountName(string name) =>
        KeyVaultCollections.Contains(name, StringComparer.Ordinal);

    /// <summary>True when the first segment of <paramref name="path"/> (e.g. "/secrets/x") is served by the Key Vault API.</summary>
    public static bool IsKeyVaultPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        var end = path.IndexOf('/', 1);
        var first = end < 0 ? path[1..] : path[1..end];
        return IsReservedAccountName(first) || string.Equals(first, Server, StringComparison.Ordinal);
    }
}
