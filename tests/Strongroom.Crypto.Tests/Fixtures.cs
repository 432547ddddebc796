using Strongroom.Core;

namespace Strongroom.Crypto.Tests;

internal static class Fixtures
{
    public const int SmallSegment = 4096;

    public static byte[] DataKey(byte first = 0)
    {
        var key = new byte[32];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = (byte)(first + i);
        }

        return key;
    }

    public static byte[] Binding => ObjectBinding.Digest("tenant", "container", "blob", "object");

    public static byte[] BindingFor(CipherSuite suite) => ObjectBinding.Digest(suite, "tenant", "container", "blob", "object");

    public static byte[] Plaintext(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Encrypt(byte[] plaintext, byte[] dataKey, byte[] binding, int segmentBytes = SmallSegment, int seed = 42, CipherSuite suite = CipherSuite.Aes256Gcm)
    {
        using var output = new MemoryStream();
        using (var encrypting = new SegmentEncryptingStream(output, suite, dataKey, binding, new SeededRandomSource(seed), segmentBytes))
        {
            encrypting.Write(plaintext);
            encrypting.Complete();
        }

        return output.ToArray();
    }

    public static async Task<byte[]> DecryptAsync(Stream ciphertext, long plaintextLength, byte[] dataKey, byte[] binding, long offset, long count)
    {
        using var destination = new MemoryStream();
        await SegmentDecryptor.DecryptRangeAsync(ciphertext, plaintextLength, dataKey, binding, offset, count, destination);
        return destination.ToArray();
    }
}
