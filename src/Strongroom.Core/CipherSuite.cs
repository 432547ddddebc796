namespace Strongroom.Core;

/// <summary>
/// The algorithms that encrypt an account's data at rest. An account's suite is chosen when it is
/// created and never changes; every object written for it uses that suite.
/// </summary>
/// <remarks>
/// The numeric values are persisted (the segment header's suite byte, the accounts table) and
/// are frozen: a new suite gets a new value, an old value never gets a new meaning.
/// </remarks>
public enum CipherSuite : byte
{
    /// <summary>AES-256-GCM, with SHA-256 wherever the format hashes (the default).</summary>
    Aes256Gcm = 1,

    /// <summary>SM4-GCM (GB/T 32907, RFC 8998), with SM3 (GB/T 32905) wherever the format hashes.</summary>
    Sm4Gcm = 2,
}

/// <summary>The suites' names as users type them (<c>--cipher aes-256-gcm</c>).</summary>
public static class CipherSuites
{
    public const CipherSuite Default = CipherSuite.Aes256Gcm;

    public static IReadOnlyList<CipherSuite> All { get; } = [CipherSuite.Aes256Gcm, CipherSuite.Sm4Gcm];

    public static string Name(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes256Gcm => "aes-256-gcm",
        CipherSuite.Sm4Gcm => "sm4-gcm",
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unknown cipher suite."),
    };

    public static bool IsKnown(CipherSuite suite) => suite is CipherSuite.Aes256Gcm or CipherSuite.Sm4Gcm;

    /// <summary>Parses a name exactly as <see cref="Name"/> prints it (ASCII case-insensitive).</summary>
    public static bool TryParse(string? name, out CipherSuite suite)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(name, Name(candidate), StringComparison.OrdinalIgnoreCase))
            {
                suite = candidate;
                return true;
            }
        }

        suite = default;
        return false;
    }
}
