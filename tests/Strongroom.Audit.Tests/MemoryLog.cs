using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Audit.Tests;

/// <summary>
/// A log kept the way the store keeps one (entries with their leaf hash and body, plus the stored
/// hash of every complete subtree from <see cref="MerkleTree.StoredHashesForAppend"/>), served as
/// an <see cref="ILogSource"/>, with the tampering an operator with database access could do.
/// </summary>
internal sealed class MemoryLog : ILogSource
{
    public const string Origin = "strongroom/00112233/acme";

    public static readonly byte[] Seed = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

    private readonly Dictionary<(int, long), byte[]> stored = [];

    public List<LogSourceEntry> Entries { get; } = [];

    /// <summary>The note served; <see cref="Publish"/> signs the current tree.</summary>
    public string Note { get; set; } = "";

    /// <summary>Replaces the consistency proofs served (a lying server).</summary>
    public Func<long, long, IReadOnlyList<byte[]>>? ProofOverride { get; set; }

    /// <summary>Largest page served (a server may return fewer entries than asked).</summary>
    public int PageMax { get; set; } = int.MaxValue;

    public int ProofRequests { get; private set; }

    public long Size => Entries.Count;

    public static NoteVerifierKey Key => NoteVerifierKey.ForEd25519(Origin, Ed25519.PublicKeyFromSeed(Seed));

    public static byte[] Body(long i, string action = "PutBlob") => new AuditEntry
    {
        Time = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
        Actor = new Actor(ActorKind.SharedKey, "key1"),
        Action = action,
        Resource = $"/acme/c/blob{i}",
        Outcome = AuditOutcomes.Success,
        RequestId = $"req-{i}",
    }.Encode();

    public static MemoryLog WithEntries(int count, Func<long, byte[]>? body = null)
    {
        var log = new MemoryLog();
        for (var i = 0; i < count; i++)
        {
            log.Append((body ?? (index => Body(index)))(i));
        }

        log.Publish();
        return log;
    }

    public void Append(byte[] body)
    {
        var index = Entries.Count;
        var leaf = MerkleTree.LeafHash(body);
        foreach (var (level, at, hash) in MerkleTree.StoredHashesForAppend(index, leaf, Read))
        {
            stored[(level, at)] = hash;
        }

        Entries.Add(new LogSourceEntry(index, leaf, body));
    }

    public byte[] Root(long size) => MerkleTree.RootHash(size, Read);

    /// <summary>Signs a checkpoint of the stored tree (what the server does on demand).</summary>
    public string Publish(long? size = null, string origin = Origin, byte[]? seed = null)
    {
        var checkpoint = new Checkpoint(origin, size ?? Size, Root(size ?? Size));
        Note = SignedNote.Sign(checkpoint.ToText(), origin, seed ?? Seed);
        return Note;
    }

    /// <summary>Rebuilds the stored tree from these bodies (an operator recomputing every hash).</summary>
    public static MemoryLog Rebuilt(IEnumerable<byte[]> bodies)
    {
        var log = new MemoryLog();
        foreach (var body in bodies)
        {
            log.Append(body);
        }

        log.Publish();
        return log;
    }

    public IEnumerable<byte[]> Bodies => Entries.Select(entry => entry.Body!);

    public Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default) => Task.FromResult(Note);

    public Task<LogEntryPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken = default)
    {
        Assert.True(end - start <= Limits.AuditEntriesPageMax, "the verifier asks for at most a page");
        var page = Entries.Where(entry => entry.Index >= start && entry.Index < end).OrderBy(entry => entry.Index).Take(PageMax).ToList();
        return Task.FromResult(new LogEntryPage(page));
    }

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken = default)
    {
        ProofRequests++;
        return Task.FromResult(ProofOverride?.Invoke(first, second) ?? MerkleTree.ConsistencyProof(first, second, Read));
    }

    private byte[] Read(int level, long index) => stored[(level, index)];

    internal static string Text(byte[] body) => Encoding.UTF8.GetString(body);
}
