using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>The blob after an Append Block, and how many blocks it has committed (x-ms-blob-committed-block-count).</summary>
public sealed record AppendedBlock(BlobRecord Blob, int CommittedBlockCount);
