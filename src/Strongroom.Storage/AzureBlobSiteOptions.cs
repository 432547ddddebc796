using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// How an <see cref="AzureBlobSite"/> reaches its endpoint. <see cref="Endpoint"/> is the account's
/// blob endpoint (<c>https://ACCOUNT.blob.core.windows.net/</c>, or path-style
/// <c>https://HOST:PORT/ACCOUNT</c> for an Azure-compatible store); objects live in
/// <see cref="Container"/>. The shared key is read from <see cref="AccountKeyFile"/> when the site is
/// opened, never from configuration text. <see cref="CaCertificateFile"/> (PEM) is then the only root
/// trusted for this endpoint; without it the system's roots are. Plain HTTP only with
/// <see cref="DangerousAllowHttp"/> (a local emulator in tests).
/// </summary>
public sealed record AzureBlobSiteOptions(
    Uri Endpoint,
    string Container,
    string AccountName,
    string AccountKeyFile,
    string? CaCertificateFile = null,
    bool DangerousAllowHttp = false)
{
    /// <summary>One try of one request (see <see cref="Limits.RemoteSiteTimeout"/>).</summary>
    public TimeSpan Timeout { get; init; } = Limits.RemoteSiteTimeout;

    public TimeSpan ConnectTimeout { get; init; } = Limits.RemoteSiteConnectTimeout;

    public int RetriesMax { get; init; } = Limits.RemoteSiteRetriesMax;

    public TimeSpan RetryDelay { get; init; } = Limits.RemoteSiteRetryDelay;

    public TimeSpan RetryDelayMax { get; init; } = Limits.RemoteSiteRetryDelayMax;

    /// <summary>Bytes of one staged block; a write holds two (one filling, one being sent).</summary>
    public int BlockBytes { get; init; } = Limits.RemoteSiteBlockBytes;
}
