using System.Buffers;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Strongroom.Storage;

public sealed partial class AzureBlobSite
{
    /// <summary>
    /// One object being written: content fills a block buffer, each full block is staged (Put
    /// Block), and the commit publishes the block list under <c>If-None-Match: *</c>.
    /// </summary>
    private sealed class Write : ISiteWrite
    {
        private readonly AzureBlobSite site;
        private readonly BlockBlobClient blob;
        private readonly string objectId;
        private readonly string writeId;
        private readonly List<string> blockIds = [];
        private readonly BlockStream content;
        private byte[]? buffer;
        private int buffered;

        // One Put Block runs in the background while the next block fills, so a write holds at most
        // two blocks: the one being filled and the one being sent (then kept as the next to fill).
        private Task staging = Task.CompletedTask;
        private byte[]? stagingBuffer;
        private byte[]? spare;
        private IOException? failure;
        private bool finished;

        public Write(AzureBlobSite site, BlockBlobClient blob, string objectId, string writeId)
        {
            this.site = site;
            this.blob = blob;
            this.objectId = objectId;
            this.writeId = writeId;
            content = new BlockStream(this);
        }

        public Stream Content => content;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(finished, this);
            ThrowIfFailed();
            await FinishStagingAsync().ConfigureAwait(false);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [WriteIdMetadataName] = writeId };
            var conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
            var singleShot = blockIds.Count == 0;
            while (true)
            {
                try
                {
                    if (singleShot)
                    {
                        using var body = new MemoryStream(buffer ?? [], 0, buffered, writable: false);
                        await blob.UploadAsync(body, new BlobUploadOptions { Metadata = metadata, Conditions = conditions }, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        // An empty object (after the fallback below) is an empty block list.
                        if (buffered > 0)
                        {
                            await StageLastAsync(cancellationToken).ConfigureAwait(false);
                        }

                        await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { Metadata = metadata, Conditions = conditions }, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                }
                catch (RequestFailedException exception) when (exception.Status is 409 or 412)
                {
                    // Another write committed the id first (a write whose acknowledgement was lost,
                    // rewritten by repair), or this write's own commit succeeded and only its
                    // response was lost (a retry then met the condition), or (Azurite)
                    // an earlier abandoned write of this id left uncommitted blocks, which Azurite's
                    // Put Blob counts as an existing blob but its Put Block List does not.
                    var owner = await CommittedByAsync(cancellationToken).ConfigureAwait(false);
                    if (owner == CommitOwner.This)
                    {
                        break;
                    }

                    if (owner == CommitOwner.Nobody && singleShot)
                    {
                        singleShot = false;
                        continue;
                    }

                    throw new IOException($"Site {site.Id}: object {objectId} already exists; objects are immutable.", exception);
                }
                catch (IOException) when (failure is not null)
                {
                    throw; // staging the last block failed, and said so
                }
                catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
                {
                    throw site.Failure("commit", objectId, exception);
                }
            }

            finished = true;
            ReturnBuffer();
        }

        public async ValueTask DisposeAsync()
        {
            // Staged blocks stay uncommitted: invisible, and discarded by the service. A block in
            // flight still reads its buffer: it finishes (or fails) before the buffer goes back.
            finished = true;
            await staging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ReturnBuffer();
        }

        private enum CommitOwner
        {
            Nobody,
            This,
            Another,
        }

        private async Task<CommitOwner> CommittedByAsync(CancellationToken cancellationToken)
        {
            try
            {
                var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                return properties.Value.Metadata.TryGetValue(WriteIdMetadataName, out var committedBy) && string.Equals(committedBy, writeId, StringComparison.Ordinal)
                    ? CommitOwner.This
                    : CommitOwner.Another;
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                return CommitOwner.Nobody;
            }
            catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
            {
                throw site.Failure("commit", objectId, exception);
            }
        }

        private async ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(finished, this);
            ThrowIfFailed();
            while (!data.IsEmpty)
            {
                var taken = Fill(data.Span);
                data = data[taken..];
                if (buffered == site.options.BlockBytes)
                {
                    await FinishStagingAsync().ConfigureAwait(false);
                    var blockId = NextBlockId();
                    blockIds.Add(blockId);
                    stagingBuffer = buffer;
                    staging = PutBlockAsync(blockId, buffer!, buffered, cancellationToken);
                    buffer = spare;
                    spare = null;
                    buffered = 0;
                }
            }
        }

        private void Append(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(finished, this);
            ThrowIfFailed();
            while (!data.IsEmpty)
            {
                var taken = Fill(data);
                data = data[taken..];
                if (buffered == site.options.BlockBytes)
                {
                    // The synchronous path stages in place: no block in flight behind the caller's back.
                    FinishStagingAsync().GetAwaiter().GetResult();
                    var blockId = NextBlockId();
                    blockIds.Add(blockId);
                    try
                    {
                        using var body = new MemoryStream(buffer!, 0, buffered, writable: false);
                        blob.StageBlock(blockId, body, new BlockBlobStageBlockOptions());
                    }
                    catch (Exception exception) when (IsSiteFailure(exception, CancellationToken.None))
                    {
                        throw Fail(exception);
                    }

                    buffered = 0;
                }
            }
        }

        private int Fill(ReadOnlySpan<byte> data)
        {
            buffer ??= ArrayPool<byte>.Shared.Rent(site.options.BlockBytes);
            var taken = Math.Min(data.Length, site.options.BlockBytes - buffered);
            data[..taken].CopyTo(buffer.AsSpan(buffered));
            buffered += taken;
            return taken;
        }

        /// <summary>Stages the partly filled last block and waits for it (the commit's last Put Block).</summary>
        private async Task StageLastAsync(CancellationToken cancellationToken)
        {
            var blockId = NextBlockId();
            blockIds.Add(blockId);
            await PutBlockAsync(blockId, buffer!, buffered, cancellationToken).ConfigureAwait(false);
            buffered = 0;
        }

        private async Task PutBlockAsync(string blockId, byte[] data, int length, CancellationToken cancellationToken)
        {
            try
            {
                using var body = new MemoryStream(data, 0, length, writable: false);
                await blob.StageBlockAsync(blockId, body, new BlockBlobStageBlockOptions(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
            {
                throw Fail(exception);
            }
        }

        /// <summary>Waits for the block in flight (rethrowing its failure); its buffer becomes the next one to fill.</summary>
        private async Task FinishStagingAsync()
        {
            try
            {
                await staging.ConfigureAwait(false);
            }
            finally
            {
                staging = Task.CompletedTask;
                if (stagingBuffer is not null)
                {
                    spare = stagingBuffer;
                    stagingBuffer = null;
                }
            }
        }

        /// <summary>Block ids of one blob must have one length; the write id keeps this write's blocks apart from any other staged under the same name.</summary>
        private string NextBlockId() =>
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{writeId[..16]}{blockIds.Count:D8}"));

        /// <summary>A write that lost a block cannot be completed: every later call fails too.</summary>
        private IOException Fail(Exception exception)
        {
            failure = site.Failure("write", objectId, exception);
            return failure;
        }

        private void ThrowIfFailed()
        {
            if (failure is not null)
            {
                throw new IOException(failure.Message, failure);
            }
        }

        private void ReturnBuffer()
        {
            foreach (var array in new[] { buffer, stagingBuffer, spare })
            {
                if (array is not null)
                {
                    ArrayPool<byte>.Shared.Return(array);
                }
            }

            buffer = stagingBuffer = spare = null;
        }

        private sealed class BlockStream(Write write) : Stream
        {
            private long length;

            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => length;

            public override long Position { get => length; set => throw new NotSupportedException(); }

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                await write.AppendAsync(buffer, cancellationToken).ConfigureAwait(false);
                length += buffer.Length;
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Write(ReadOnlySpan<byte> buffer)
            {
                write.Append(buffer);
                length += buffer.Length;
            }

            public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

            /// <summary>Nothing to flush: blocks are staged when full, the rest at commit.</summary>
            public override void Flush()
            {
            }

            public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
