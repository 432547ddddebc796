using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// Azure-shaped ETags (<c>"0x8DC…"</c>) from the clock, strictly increasing within the process so
/// that two writes in the same tick still differ.
/// </summary>
internal sealed class ETags(TimeProvider time, IRandomSource random)
{
    // Ticks are strictly increasing in this process only: servers sharing a store could draw the
    // same ticks for two writes of one blob, and a client's If-Match taken from one would then
    // match the other. A random suffix per process keeps ETags distinct across servers.
    private readonly uint processSuffix = NewSuffix(random);
    private long lastTicks;

    private static uint NewSuffix(IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[4];
        random.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    /// <summary>
    /// Moves this process's ticks past <paramref name="instanceId"/> (a <see cref="Strongroom.Core.VersionIds"/>
    /// id another server stamped), so the next version id drawn is newer than it.
    /// </summary>
    public void AdvancePast(string instanceId)
    {
        if (!Strongroom.Core.VersionIds.TryParse(instanceId, out var taken))
        {
            return;
        }

        long observed;
        do
        {
            observed = Volatile.Read(ref lastTicks);
            if (observed >= taken.UtcTicks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref lastTicks, taken.UtcTicks, observed) != observed);
    }

    public (string ETag, DateTimeOffset Now) Next()
    {
        var (eTag, now, _) = NextWithVersionId();
        return (eTag, now);
    }

    /// <summary>
    /// As <see cref="Next"/>, with a version id (<see cref="Strongroom.Core.VersionIds"/>) from the
    /// same strictly increasing ticks, so two writes in one clock tick get distinct version ids.
    /// </summary>
    public (string ETag, DateTimeOffset Now, string VersionId) NextWithVersionId()
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

        return ($"\"0x{ticks:X}{processSuffix:X8}\"", now, Strongroom.Core.VersionIds.From(new DateTimeOffset(ticks, TimeSpan.Zero)));
    }
}
