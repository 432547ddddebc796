using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Conformance.Tests.Infrastructure;

namespace Strongroom.LogScan.Tests;

/// <summary>A secret as the secrets file records it: what it is, its UTF-8 length and the SHA-256 of its bytes.</summary>
public sealed record RecordedSecret(string Kind, int Bytes, string Digest);

/// <summary>One place a log holds what it must not; <see cref="What"/> names the kind of secret, never its value.</summary>
public sealed record LogFinding(string File, int Line, string What)
{
    public override string ToString() => $"{File}:{Line}: {What}";
}

/// <summary>
/// Scans the servers' logs of a test run (<see cref="TestLogs"/>) for every recorded secret and for
/// the generic shapes of key and share material. Secrets are known only by length and digest, so
/// each line is searched by hashing every window of each recorded length.
/// </summary>
public static class LogScanner
{
    /// <summary>Shapes that no server line may have whatever secret it is: a share, a bearer token (a JWT starts "ey"), a JSON key member.</summary>
    public static IReadOnlyList<string> GenericPatterns { get; } = ["srs1-", "Bearer ey", "\"key\":", "srsession1.", "srgrant1.", "otpauth://", "$argon2id$"];

    public static IReadOnlyList<RecordedSecret> ReadSecrets(string secretsPath)
    {
        if (!File.Exists(secretsPath))
        {
            return [];
        }

        var secrets = new List<RecordedSecret>();
        var number = 0;
        foreach (var line in File.ReadLines(secretsPath))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length != 3 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || fields[2].Length != 64)
            {
                throw new InvalidDataException($"{secretsPath}:{number}: not KIND<TAB>BYTES<TAB>SHA256-HEX.");
            }

            secrets.Add(new RecordedSecret(fields[0], bytes, fields[2].ToUpperInvariant()));
        }

        return secrets;
    }

    /// <summary>Every finding in every <c>*.log</c> under <paramref name="directory"/>, against the secrets recorded there.</summary>
    public static IReadOnlyList<LogFinding> ScanDirectory(string directory)
    {
        var secrets = ReadSecrets(Path.Combine(directory, TestLogs.SecretsFileName));
        var findings = new List<LogFinding>();
        foreach (var log in LogFiles(directory))
        {
            findings.AddRange(ScanLines(Path.GetRelativePath(directory, log), File.ReadLines(log), secrets));
        }

        return findings;
    }

    public static IReadOnlyList<string> LogFiles(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory, "*" + TestLogs.LogExtension, SearchOption.AllDirectories).Order(StringComparer.Ordinal)]
            : [];

    public static IEnumerable<LogFinding> ScanLines(string file, IEnumerable<string> lines, IReadOnlyList<RecordedSecret> secrets)
    {
        var matcher = new Matcher(secrets);
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            foreach (var pattern in GenericPatterns)
            {
                if (line.Contains(pattern, StringComparison.Ordinal))
                {
                    yield return new LogFinding(file, number, $"the pattern '{pattern}'");
                }
            }

            foreach (var kind in matcher.Find(Encoding.UTF8.GetBytes(line)))
            {
                yield return new LogFinding(file, number, $"a recorded {kind}");
            }
        }
    }

    /// <summary>Digests grouped by length, looked up by their first 8 bytes, then compared whole.</summary>
    sealed class Matcher
    {
        static readonly string PublicDevelopmentKeyDigest = TestLogs.Digest(Encoding.UTF8.GetBytes(TestLogs.PublicDevelopmentKey));

        readonly Dictionary<int, Dictionary<ulong, List<RecordedSecret>>> _byLength = [];

        public Matcher(IReadOnlyList<RecordedSecret> secrets)
        {
            foreach (var secret in secrets)
            {
                // The development key is public and printed on purpose, whoever recorded it.
                if (secret.Digest == PublicDevelopmentKeyDigest)
                {
                    continue;
                }

                var prefix = BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(secret.Digest.AsSpan(0, 16)));
                if (!_byLength.TryGetValue(secret.Bytes, out var byPrefix))
                {
                    _byLength[secret.Bytes] = byPrefix = [];
                }

                if (!byPrefix.TryGetValue(prefix, out var candidates))
                {
                    byPrefix[prefix] = candidates = [];
                }

                candidates.Add(secret);
            }
        }

        public IEnumerable<string> Find(byte[] line)
        {
            var found = new List<string>();
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            foreach (var (length, byPrefix) in _byLength)
            {
                for (var start = 0; start + length <= line.Length; start++)
                {
                    SHA256.HashData(line.AsSpan(start, length), digest);
                    if (!byPrefix.TryGetValue(BinaryPrimitives.ReadUInt64BigEndian(digest), out var candidates))
                    {
                        continue;
                    }

                    var hex = Convert.ToHexString(digest);
                    foreach (var secret in candidates)
                    {
                        if (secret.Digest == hex && !found.Contains(secret.Kind))
                        {
                            found.Add(secret.Kind);
                        }
                    }
                }
            }

            return found;
        }
    }
}
