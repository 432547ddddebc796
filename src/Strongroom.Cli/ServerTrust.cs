using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Cli;

/// <summary>
/// How the CLI trusts a remote server's certificate (<c>unseal --server</c>, <c>audit … --server</c>):
/// the system's trust store, or with <c>--ca-cert</c> exactly the given certificate or one it issued
/// (a production server generates a self-signed <c>tls/server.crt</c>).
/// </summary>
internal sealed class ServerTrust : IDisposable
{
    private readonly X509Certificate2? anchor;

    private ServerTrust(X509Certificate2? anchor) => this.anchor = anchor;

    /// <summary>Reads the PEM at <paramref name="caCertificatePath"/> (resolved against the invoking user's working directory), or trusts the system store when null.</summary>
    public static ServerTrust Load(string? caCertificatePath) =>
        new(caCertificatePath is null ? null : X509Certificate2.CreateFromPem(File.ReadAllText(CliSession.Current.ResolvePath(caCertificatePath))));

    /// <summary>A handler that validates the server's certificate this way. Valid while this object lives.</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler();
        if (anchor is { } trusted)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                {
                    return false;
                }

                // Trust exactly the given certificate, or one it issued.
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                var presented = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return presented.RawData.AsSpan().SequenceEqual(trusted.RawData) || chain.Build(presented);
            };
        }

        return handler;
    }

    public void Dispose() => anchor?.Dispose();
}
