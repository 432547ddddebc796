using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>One site file that decrypted, and with what.</summary>
public sealed record Decrypted(string File, string ObjectId, string How)
{
    public override string ToString() => $"{File} ({ObjectId}) decrypts with {How}";
}

/// <summary>
/// "Reading the raw site copies with every key material that remains fails": for every ciphertext
/// file on every site (also a site moved aside as offline), every data key a reader could still
/// obtain — each wrapped data key left in the database, unwrapped under each account KEK and
/// platform scope KEK the remaining keyring still opens, with each binding any known name gives —
/// is tried on the file with the read path's own decryptor (<see cref="SegmentDecryptor"/>).
/// The names are those captured before the destruction too: the attacker is assumed to know every
/// account, container, blob and object id, and to lack only keys.
/// </summary>
public static class RawCopyAttack
{
    /// <summary>The object files under <c>sites/</c> (published objects; spare and temporary files are not objects).</summary>
    public static IReadOnlyList<string> SiteObjectFiles(string dataDirectory) =>
        [.. DataDirectoryScan.Files(dataDirectory)
            .Where(relative => relative.StartsWith("sites" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(relative => relative.Split(Path.DirectorySeparatorChar) is { Length: > 3 } parts && parts[2].StartsWith("objects", StringComparison.Ordinal))];

    /// <summary>Every site file that decrypts; empty is the evidence.</summary>
    public static async Task<IReadOnlyList<Decrypted>> RunAsync(string dataDirectory, KeyMaterial remaining, IEnumerable<ObjectContext> knownContexts)
    {
        var contexts = knownContexts.Concat(remaining.Contexts)
            .DistinctBy(context => (context.Account, context.Container, context.Blob, context.Suite))
            .ToList();
        var keks = remaining.AllPlainKeks.ToList();

        // Every data key obtainable: the ones the snapshot's own unwrap found, and every remaining
        // wrapped key under every remaining KEK with every binding an object id and a known name give.
        var candidates = new List<(string How, byte[] Key)>();
        candidates.AddRange(remaining.PlainDataKeys.Select(pair => ($"the remaining data key of {pair.Key}", pair.Value)));
        foreach (var wrapped in remaining.DataKeys)
        {
            for (var k = 0; k < keks.Count; k++)
            {
                foreach (var context in contexts)
                {
                    foreach (var binding in context.Bindings(wrapped.ObjectId))
                    {
                        if (TryUnwrap(keks[k], wrapped.Wrapped, binding) is { } key)
                        {
                            candidates.Add(($"the wrapped key of {wrapped.ObjectId} under remaining KEK #{k}", key));
                        }
                    }
                }
            }
        }

        candidates = [.. candidates.DistinctBy(candidate => Convert.ToHexString(candidate.Key))];
        var decrypted = new List<Decrypted>();
        foreach (var relative in SiteObjectFiles(dataDirectory))
        {
            var objectId = Path.GetFileName(relative);
            var bytes = DataDirectoryScan.ReadShared(Path.Combine(dataDirectory, relative));
            var plaintextLength = PlaintextLength(bytes.Length);
            if (plaintextLength is null)
            {
                continue; // not a whole segment-format object: nothing a decryptor accepts
            }

            foreach (var (how, key) in candidates)
            {
                foreach (var context in contexts)
                {
                    foreach (var binding in context.Bindings(objectId))
                    {
                        if (await DecryptsAsync(bytes, plaintextLength.Value, key, binding))
                        {
                            decrypted.Add(new Decrypted(relative, objectId, how));
                        }
                    }
                }
            }
        }

        return decrypted;
    }

    /// <summary>The plaintext length whose segment-format ciphertext is exactly <paramref name="ciphertextLength"/> bytes, if any.</summary>
    public static long? PlaintextLength(long ciphertextLength)
    {
        long low = 0, high = ciphertextLength;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (SegmentFormat.CiphertextLength(middle) < ciphertextLength)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return SegmentFormat.CiphertextLength(low) == ciphertextLength ? low : null;
    }

    private static async Task<bool> DecryptsAsync(byte[] ciphertext, long plaintextLength, byte[] key, byte[] binding)
    {
        try
        {
            using var source = new MemoryStream(ciphertext, writable: false);
            await SegmentDecryptor.DecryptRangeAsync(source, plaintextLength, key, binding, 0, plaintextLength, Stream.Null);
            return true;
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.IntegrityCheckFailed)
        {
            return false;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false; // a key of the wrong size for the suite
        }
    }

    private static byte[]? TryUnwrap(byte[] kek, byte[] wrapped, byte[] binding)
    {
        try
        {
            return KeyWrap.Unwrap(kek, wrapped, binding);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.IntegrityCheckFailed)
        {
            return null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
