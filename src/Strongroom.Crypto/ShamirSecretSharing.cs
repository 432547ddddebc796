using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>One share of a split secret: the x coordinate (1..255) and one y byte per secret byte.</summary>
public sealed class SecretShare : IDisposable
{
    public SecretShare(byte index, ReadOnlySpan<byte> value)
    {
        if (index == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "A share index is 1 to 255: index 0 would be the secret itself.");
        }

        Index = index;
        Value = value.ToArray();
    }

    public byte Index { get; }

    /// <summary>The share's bytes; the owner wipes them with <see cref="Dispose"/>.</summary>
    public byte[] Value { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(Value);
}

/// <summary>
/// Shamir's secret sharing over GF(2^8) with the AES field polynomial x^8 + x^4 + x^3 + x + 1,
/// byte by byte: each secret byte is the constant term of its own random polynomial of degree
/// threshold - 1, and share i holds every polynomial evaluated at x = i. Any threshold shares
/// recover the secret by Lagrange interpolation at x = 0; fewer reveal nothing about it.
/// </summary>
/// <remarks>
/// Field arithmetic is branch-free and table-free (no secret-dependent memory access). Combining
/// does not and cannot detect a wrong or missing share: it returns a different secret. Callers
/// authenticate the result (the seal file does, with the AEAD tag of the root key it seals).
/// </remarks>
public static class ShamirSecretSharing
{
    public const int SharesMax = 255;

    /// <summary>Splits <paramref name="secret"/> into <paramref name="shares"/> shares, any <paramref name="threshold"/> of which recover it.</summary>
    public static SecretShare[] Split(ReadOnlySpan<byte> secret, int shares, int threshold, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ValidateCounts(shares, threshold);
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret is empty.", nameof(secret));
        }

        // coefficients[j * threshold + d] is the degree-d coefficient of byte j's polynomial.
        var coefficients = new byte[secret.Length * threshold];
        var values = new byte[secret.Length];
        var result = new SecretShare[shares];
        try
        {
            random.Fill(coefficients);
            for (var j = 0; j < secret.Length; j++)
            {
                coefficients[j * threshold] = secret[j];
            }

            for (var i = 0; i < shares; i++)
            {
                var x = (byte)(i + 1);
                for (var j = 0; j < secret.Length; j++)
                {
                    values[j] = Evaluate(coefficients.AsSpan(j * threshold, threshold), x);
                }

                result[i] = new SecretShare(x, values);
            }

            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(coefficients);
            CryptographicOperations.ZeroMemory(values);
        }
    }

    /// <summary>
    /// Interpolates the secret from <paramref name="shares"/> (distinct indices, equal lengths).
    /// The caller owns (and wipes) the result. With fewer shares than the threshold, or a wrong
    /// share, the result is a different secret: authenticate it.
    /// </summary>
    public static byte[] Combine(IReadOnlyList<SecretShare> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            throw new ArgumentException("No shares to combine.", nameof(shares));
        }

        var length = shares[0].Value.Length;
        for (var i = 0; i < shares.Count; i++)
        {
            if (shares[i].Value.Length != length)
            {
                throw new ArgumentException("The shares have different lengths: they come from different secrets.", nameof(shares));
            }

            for (var k = 0; k < i; k++)
            {
                if (shares[k].Index == shares[i].Index)
                {
                    throw new ArgumentException($"Share index {shares[i].Index} appears twice.", nameof(shares));
                }
            }
        }

        // Lagrange basis at 0: l_i = prod_{k != i} x_k / (x_k - x_i); subtraction is XOR in GF(2^8).
        var basis = new byte[shares.Count];
        for (var i = 0; i < shares.Count; i++)
        {
            byte numerator = 1;
            byte denominator = 1;
            for (var k = 0; k < shares.Count; k++)
            {
                if (k != i)
                {
                    numerator = Multiply(numerator, shares[k].Index);
                    denominator = Multiply(denominator, (byte)(shares[k].Index ^ shares[i].Index));
                }
            }

            basis[i] = Multiply(numerator, Inverse(denominator));
        }

        var secret = new byte[length];
        for (var j = 0; j < length; j++)
        {
            byte value = 0;
            for (var i = 0; i < shares.Count; i++)
            {
                value ^= Multiply(basis[i], shares[i].Value[j]);
            }

            secret[j] = value;
        }

        return secret;
    }

    /// <summary>Product in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, in constant time.</summary>
    public static byte Multiply(byte a, byte b)
    {
        int x = a, y = b, product = 0;
        for (var bit = 0; bit < 8; bit++)
        {
            product ^= x & -(y & 1);
            var carry = -((x >> 7) & 1);
            x = ((x << 1) ^ (0x1B & carry)) & 0xFF;
            y >>= 1;
        }

        return (byte)product;
    }

    /// <summary>Multiplicative inverse (a^254); the inverse of 0 is taken as 0.</summary>
    public static byte Inverse(byte a)
    {
        // a^254 = a^(2+4+8+16+32+64+128).
        byte result = 1;
        var power = a;
        for (var bit = 1; bit < 8; bit++)
        {
            power = Multiply(power, power);
            result = Multiply(result, power);
        }

        return result;
    }

    /// <summary>Throws unless 1     public static void ValidateCountslt;= threshold     public static void ValidateCountslt;= shares     public static void ValidateCountslt;= 255.</summary>
    public static void ValidateCounts(int shares, int threshold)
    {
        if (shares is < 1 or > SharesMax)
        {
            throw new ArgumentOutOfRangeException(nameof(shares), $"The number of shares must be between 1 and {SharesMax} (got {shares}).");
        }

        if (threshold < 1 || threshold > shares)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), $"The threshold must be between 1 and the number of shares, {shares} (got {threshold}).");
        }
    }

    private static byte Evaluate(ReadOnlySpan<byte> coefficients, byte x)
    {
        // Horner, highest degree first.
        byte value = 0;
        for (var d = coefficients.Length - 1; d >= 0; d--)
        {
            value = (byte)(Multiply(value, x) ^ coefficients[d]);
        }

        return value;
    }
}
