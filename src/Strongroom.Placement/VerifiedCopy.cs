using System.Buffers;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>What streaming one copy came to.</summary>
internal enum VerifiedCopyOutcome
{
    /// <summary>Written, verified and committed on the target.</summary>
    Copied,

    /// <summary>The source failed (reported to the site set); another source may do.</summary>
    SourceUnavailable,

    /// <summary>The source has no such object, or its bytes do not match the CRC-64 and length recorded at write time.</summary>
    Mismatch,

    /// <summary>The target failed (reported to the site set).</summary>
    TargetFailed,
}

/// <summary>
/// Streams a copy's ciphertext from one site into a write on another, checking CRC-64 and length
/// against the values recorded at write time; the repair worker and the transfer copier both use
/// it, each opening its own kind of write. What does not match is never committed: disposing an
/// uncommitted write discards it.
/// </summary>
internal static class VerifiedCopy
{
    internal const int BufferBytes = 64 * 1024;

    /// <summary>Whether a length and CRC-64 match what was recorded at write time (a value not recorded matches anything).</summary>
    internal static bool Matches(StoredObject stored, long length, ulong crc) =>
        (stored.CiphertextCrc64 is not { } expected || expected == crc)
        && (stored.CiphertextLength == 0 || stored.CiphertextLength == length);

    /// <summary>
    /// Copies <paramref name="stored"/> from <paramref name="source"/> into the write
    /// <paramref name="beginWrite"/> opens on <paramref name="target"/>, then commits it. Site
    /// failures (IOException) are reported to <paramref name="sites"/> and become an outcome, never an exception.
    /// </summary>
    internal static async Task<VerifiedCopyOutcome> StreamAsync(
        SiteSet sites,
        StoredObject stored,
        ResidentSite source,
        ResidentSite target,
        Func<CancellationToken, Task<ISiteWrite>> beginWrite,
        CancellationToken cancellationToken)
    {
        Stream input;
        try
        {
            input = await source.OpenReadAsync(stored.ObjectId, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return VerifiedCopyOutcome.Mismatch;
        }
        catch (IOException exception)
        {
            sites.ReportFailure(source.Id, exception);
            return VerifiedCopyOutcome.SourceUnavailable;
        }

        await using (input.ConfigureAwait(false))
        {
            ISiteWrite write;
            try
            {
                write = await beginWrite(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                sites.ReportFailure(target.Id, exception);
                return VerifiedCopyOutcome.TargetFailed;
            }

            await using (write.ConfigureAwait(false))
            {
                var crc = new Crc64Nvme();
                long length = 0;
                var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
                try
                {
                    while (true)
                    {
                        int read;
                        try
                        {
                            read = await input.ReadAsync(buffer.AsMemory(0, BufferBytes), cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException exception)
                        {
                            sites.ReportFailure(source.Id, exception);
                            return VerifiedCopyOutcome.SourceUnavailable;
                        }

                        if (read == 0)
                        {
                            break;
                        }

                        crc.Append(buffer.AsSpan(0, read));
                        length += read;
                        try
                        {
                            await write.Content.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException exception)
                        {
                            sites.ReportFailure(target.Id, exception);
                            return VerifiedCopyOutcome.TargetFailed;
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                if (!Matches(stored, length, crc.GetCurrentValue()))
                {
                    return VerifiedCopyOutcome.Mismatch;
                }

                try
                {
                    await write.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException exception)
                {
                    sites.ReportFailure(target.Id, exception);
                    return VerifiedCopyOutcome.TargetFailed;
                }
            }
        }

        return VerifiedCopyOutcome.Copied;
    }
}
