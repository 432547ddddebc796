using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Strongroom.Core;
using BouncyArgon2 = Org.BouncyCastle.Crypto.Parameters.Argon2Parameters;

namespace Strongroom.Crypto;

/// <summary>Argon2id cost parameters: memory in KiB, passes, lanes.</summary>
public sealed record Argon2Cost(int MemoryKib, int Iterations, int Parallelism);

/// <summary>
/// Password hashing with Argon2id (RFC 9106) from BouncyCastle, stored as a PHC string
/// <c>$argon2id$v=19$m=19456,t=2,p=1$&lt;salt&gt;$&lt;hash&gt;</c> (base64 without padding). The
/// parameters travel in the string, so <see cref="Current"/> can grow without invalidating stored
/// hashes; verification accepts only parameters inside fixed bounds, so a stored string cannot make
/// the server spend gigabytes or minutes on one sign-in.
/// </summary>
public static class PasswordHash
{
    /// <summary>OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): the one place new hashes take their cost from.</summary>
    public static readonly Argon2Cost Current = new(MemoryKib: 19_456, Iterations: 2, Parallelism: 1);

    public const int SaltBytes = 16;
    public const int HashBytes = 32;

    // Bounds a stored string must respect to be verified at all.
    private const int MemoryKibMax = 256 * 1024;
    private const int IterationsMax = 10;
    private const int ParallelismMax = 8;
    private const int SaltBytesMin = 8;
    private const int SaltBytesMax = 64;
    private const int HashBytesMin = 16;
    private const int HashBytesMax = 64;
    private const int EncodedCharsMax = 256;
    private const int Version = 19;
    private const string Prefix = "$argon2id$";

    /// <summary>Hashes <paramref name="password"/> with a fresh salt under <see cref="Current"/>.</summary>
    public static string Hash(string password, IRandomSource random) => Hash(password, random, Current);

    /// <summary>Hashes under other costs (tests of stored hashes made before <see cref="Current"/> grew); they must be within the verification bounds.</summary>
    public static string Hash(string password, IRandomSource random, Argon2Cost cost)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(cost);
        if (cost.Parallelism is < 1 or > ParallelismMax || cost.Iterations is < 1 or > IterationsMax || cost.MemoryKib < 8 * cost.Parallelism || cost.MemoryKib > MemoryKibMax)
        {
            throw new ArgumentOutOfRangeException(nameof(cost), cost, "Argon2id costs outside the bounds a stored hash may have.");
        }

        var salt = new byte[SaltBytes];
        random.Fill(salt);
        var hash = Derive(password, salt, cost, HashBytes);
        try
        {
            return Encode(cost, salt, hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    /// <summary>
    /// True when <paramref name="password"/> matches <paramref name="encoded"/> (compared in constant
    /// time). False for a string that is not a well-formed Argon2id PHC string within the bounds.
    /// </summary>
    public static bool Verify(string password, string encoded)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(encoded, out var parameters, out var salt, out var expected))
        {
            return false;
        }

        var actual = Derive(password, salt, parameters, expected.Length);
        try
        {
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(actual);
        }
    }

    /// <summary>True when <paramref name="encoded"/> was made with weaker parameters than <see cref="Current"/> (rehash at the next sign-in).</summary>
    public static bool NeedsRehash(string encoded) =>
        !TryParse(encoded, out var parameters, out _, out var hash)
        || parameters.MemoryKib < Current.MemoryKib || parameters.Iterations < Current.Iterations || hash.Length < HashBytes;

    /// <summary>Parses a PHC string: the Argon2id variant, version 19, parameters within bounds, salt and hash of sane lengths.</summary>
    public static bool TryParse(string? encoded, out Argon2Cost parameters, out byte[] salt, out byte[] hash)
    {
        parameters = Current;
        salt = [];
        hash = [];
        if (encoded is null || encoded.Length > EncodedCharsMax || !encoded.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // "v=19", "m=..,t=..,p=..", salt, hash.
        var fields = encoded[Prefix.Length..].Split('$');
        if (fields.Length != 4 || fields[0] != "v=" + Version.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }

        var costs = fields[1].Split(',');
        if (costs.Length != 3
            || !TryCost(costs[0], "m=", out var memory) || !TryCost(costs[1], "t=", out var iterations) || !TryCost(costs[2], "p=", out var parallelism)
            || parallelism is < 1 or > ParallelismMax || iterations is < 1 or > IterationsMax || memory < 8 * parallelism || memory > MemoryKibMax)
        {
            return false;
        }

        if (!TryDecode(fields[2], SaltBytesMin, SaltBytesMax, out salt) || !TryDecode(fields[3], HashBytesMin, HashBytesMax, out hash))
        {
            return false;
        }

        parameters = new Argon2Cost(memory, iterations, parallelism);
        return true;
    }

    /// <summary>The raw Argon2id function (version 0x13), exposed for the RFC 9106 test vector.</summary>
    internal static byte[] Argon2id(byte[] password, byte[] salt, Argon2Cost parameters, int outputBytes, byte[]? secret = null, byte[]? associatedData = null)
    {
        var builder = new BouncyArgon2.Builder(BouncyArgon2.Argon2id)
            .WithVersion(BouncyArgon2.Version13)
            .WithMemoryAsKB(parameters.MemoryKib)
            .WithIterations(parameters.Iterations)
            .WithParallelism(parameters.Parallelism)
            .WithSalt(salt);
        if (secret is not null)
        {
            builder = builder.WithSecret(secret);
        }

        if (associatedData is not null)
        {
            builder = builder.WithAdditional(associatedData);
        }

        var generator = new Argon2BytesGenerator();
        generator.Init(builder.Build());
        var output = new byte[outputBytes];
        generator.GenerateBytes(password, output);
        return output;
    }

    private static byte[] Derive(string password, byte[] salt, Argon2Cost parameters, int outputBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return Argon2id(bytes, salt, parameters, outputBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static string Encode(Argon2Cost parameters, byte[] salt, byte[] hash) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}v={Version}$m={parameters.MemoryKib},t={parameters.Iterations},p={parameters.Parallelism}${Unpadded(salt)}${Unpadded(hash)}");

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryCost(string field, string name, out int value)
    {
        value = 0;
        return field.StartsWith(name, StringComparison.Ordinal)
            && field.Length - name.Length is >= 1 and <= 9
            && field[name.Length] != '0'
            && int.TryParse(field.AsSpan(name.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryDecode(string text, int minBytes, int maxBytes, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 == 1 || text.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        var padded = text + new string('=', (4 - (text.Length % 4)) % 4);
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written) || written < minBytes || written > maxBytes)
        {
            return false;
        }

        bytes = buffer[..written];

        // Canonical encoding only: one string per hash.
        return string.Equals(Unpadded(bytes), text, StringComparison.Ordinal);
    }
}
