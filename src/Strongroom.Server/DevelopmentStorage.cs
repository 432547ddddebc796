namespace Strongroom.Server;

/// <summary>
/// Azurite's well-known development account. Its key is published in Microsoft's documentation,
/// which is why it exists only in development mode and production refuses to serve it.
/// </summary>
public static class DevelopmentStorage
{
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const int BlobPort = 10000;

    /// <summary>The management plane's default port (Azurite's blob, queue and table ports are 10000–10002).</summary>
    public const int ManagementPort = 10010;

    /// <summary>The connection string for an account whose blob endpoint is <paramref name="blobEndpoint"/> (path style).</summary>
    public static string ConnectionString(Uri blobEndpoint, string account, string key) =>
        $"DefaultEndpointsProtocol={blobEndpoint.Scheme};AccountName={account};AccountKey={key};BlobEndpoint={AccountEndpoint(blobEndpoint, account)};";

    /// <summary>Path-style account URL: <c>http://127.0.0.1:10000/devstoreaccount1</c>.</summary>
    public static Uri AccountEndpoint(Uri blobEndpoint, string account) => new(blobEndpoint, account);
}
