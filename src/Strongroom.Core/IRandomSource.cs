using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Strongroom.Core;

/// <summary>
/// Randomness is injected so that tests are deterministic. Production uses the OS CSPRNG;
/// tests may use <see cref="SeededRandomSource"/>. Key material must only come from
/// <see cref="SystemRandomSource"/> outside tests.
/// </summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}

public sealed class SystemRandomSource : IRandomSource
{
    public static readonly SystemRandomSource Instance = new();

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}

/// <summary>Deterministic, NOT cryptographically secure. For tests and golden vectors only.</summary>
public sealed class SeededRandomSource(int seed) : IRandomSource
{
    private readonly Random random = new(seed);

    public void Fill(Span<byte> destination)
    {
        lock (random)
        {
            random.NextBytes(destination);
        }
    }
}

public static class RandomIds
{
    /// <summary>An opaque 128-bit identifier as 32 lowercase hex characters.</summary>
    public static string NewOpaqueId(this IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>A GUID drawn from the injected source (for request ids).</summary>
    public static Guid NewGuid(this IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.Fill(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    public static ulong NextUInt64(this IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[8];
        random.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
