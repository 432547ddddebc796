using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Server;

/// <summary>The TLS certificate the server presents, where it came from, and its fingerprint.</summary>
public sealed class ServerCertificate : IDisposable
{
    private static readonly TimeSpan GeneratedValidity = TimeSpan.FromDays(365);

    private ServerCertificate(X509Certificate2 certificate, string path, bool generated)
    {
        Certificate = certificate;
        Path = path;
        Generated = generated;
    }

    public X509Certificate2 Certificate { get; }

    public string Path { get; }

    /// <summary>True when Strongroom made this certificate (self-signed) rather than the operator.</summary>
    public bool Generated { get; }

    /// <summary>SHA-256 of the DER certificate as colon-separated uppercase hex, the form browsers and openssl show.</summary>
    public string Sha256Fingerprint => string.Join(':', Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(pair => new string(pair)));

    /// <summary>Loads a PEM certificate and key. <paramref name="keyPath"/> may be null when the certificate file holds the key too.</summary>
    public static ServerCertificate Load(string certificatePath, string? keyPath) =>
        new(LoadPem(certificatePath, keyPath), System.IO.Path.GetFullPath(certificatePath), generated: false);

    /// <summary>
    /// Loads the certificate generated into <paramref name="directory"/>, generating it first when
    /// absent or expired. Returns whether it was generated now.
    /// </summary>
    public static ServerCertificate LoadOrGenerate(DataDirectory directory, TimeProvider time, out bool generatedNow)
    {
        generatedNow = false;
        if (File.Exists(directory.GeneratedCertificatePath) && File.Exists(directory.GeneratedKeyPath))
        {
            var existing = LoadPem(directory.GeneratedCertificatePath, directory.GeneratedKeyPath);
            if (existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
            {
                return new ServerCertificate(existing, directory.GeneratedCertificatePath, generated: true);
            }

            existing.Dispose();
        }

        Generate(directory, time);
        generatedNow = true;
        return new ServerCertificate(LoadPem(directory.GeneratedCertificatePath, directory.GeneratedKeyPath), directory.GeneratedCertificatePath, generated: true);
    }

    public void Dispose() => Certificate.Dispose();

    private static X509Certificate2 LoadPem(string certificatePath, string? keyPath)
    {
        if (!File.Exists(certificatePath))
        {
            throw new ServerStartException($"The certificate file {certificatePath} does not exist.");
        }

        if (keyPath is not null && !File.Exists(keyPath))
        {
            throw new ServerStartException($"The key file {keyPath} does not exist.");
        }

        X509Certificate2 pem;
        try
        {
            pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException exception)
        {
            throw new ServerStartException($"The certificate {certificatePath} and key {keyPath ?? certificatePath} do not load as a PEM certificate with its private key: {exception.Message}", exception);
        }

        using (pem)
        {
            if (!pem.HasPrivateKey)
            {
                throw new ServerStartException($"No private key for the certificate {certificatePath}: pass --key.");
            }

            // A key imported from PEM is ephemeral; SslStream needs it in a PKCS#12-backed store on
            // some platforms, so round-trip it through PKCS#12 once at start.
            var pkcs12 = pem.Export(X509ContentType.Pkcs12);
            try
            {
                return X509CertificateLoader.LoadPkcs12(pkcs12, null);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs12);
            }
        }
    }

    private static void Generate(DataDirectory directory, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var machine = Environment.MachineName;
        var request = new CertificateRequest(new X500DistinguishedName($"CN=Strongroom self-signed ({machine})"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!string.IsNullOrWhiteSpace(machine) && !machine.Equals("localhost", StringComparison.OrdinalIgnoreCase) && Uri.CheckHostName(machine) == UriHostNameType.Dns)
        {
            names.AddDnsName(machine);
        }

        request.CertificateExtensions.Add(names.Build());

        // Backdated a little so a client whose clock runs slightly behind still accepts it.
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(GeneratedValidity));

        System.IO.Directory.CreateDirectory(directory.TlsDirectory);
        WriteAtomically(directory.GeneratedKeyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(directory.GeneratedCertificatePath, certificate.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void WriteAtomically(string path, string contents, UnixFileMode mode)
    {
        var temporary = path + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>The server cannot start with the configuration it was given; the message says why and what to do.</summary>
public sealed class ServerStartException(string message, Exception? innerException = null) : Exception(message, innerException);
