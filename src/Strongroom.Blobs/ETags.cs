namespace Strongroom.Blobs;

/// <summary>
/// Azure-shaped ETags (<c>"0x8DC…"</c>) from the clock, strictly increasing within the process so
/// that two writes in the same tick still differ.
/// </summary>
internal sealed class ETags(TimeProvider time)
{
    private long lastTicks;

    public (string ETag, DateTimeOffset Now) Next()
    {
        var now = time.GetUtcNow();
        long ticks;
        long observed;
        do
        {
            observed = Volatile.Read(ref lastTicks);
            ticks = Math.Max(now.UtcTicks, observed + 1);
        }
        while (Interlocked.CompareExchange(ref lastTicks, ticks, observed) != observed);

        return ($"\"0x{ticks:X}\"", now);
    }
}
