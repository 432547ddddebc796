namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// Distinctive plaintext: random bytes from a fixed seed (never found by chance in a database or
/// a ciphertext), long enough to span several 64 KiB segments when asked.
/// </summary>
public static class Payloads
{
    public static byte[] Random(int seed, int length = 100_000)
    {
        var bytes = new byte[length];
        new System.Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>32-byte windows from the start, the middle and the end of <paramref name="payload"/>.</summary>
    public static IEnumerable<Needle> Needles(string label, byte[] payload)
    {
        const int Window = 32;
        yield return new Needle($"plaintext of {label} (start)", payload[..Window]);
        var middle = (payload.Length / 2) - (Window / 2);
        yield return new Needle($"plaintext of {label} (middle)", payload[middle..(middle + Window)]);
        yield return new Needle($"plaintext of {label} (end)", payload[^Window..]);
    }
}
