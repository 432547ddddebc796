using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Where the test suite keeps what the servers it starts printed, and which secrets the tests
/// handled, so that a last step (tests/Strongroom.LogScan.Tests) can prove that no secret reached
/// a server's output. This file is compiled into both projects: it is the one definition of the
/// directory and of the secrets file's format.
/// </summary>
/// <remarks>
/// Layout of <see cref="Directory"/>: one <c>NAME.log</c> per server data directory (every start of
/// that server appended, stdout and stderr, never the CLI's own output, which prints keys and shares
/// to the operator on purpose), and <see cref="SecretsFileName"/>: one line per secret,
/// <c>KIND TAB BYTES TAB SHA256-HEX</c> of its UTF-8 bytes. Only digests are written, so the list of
/// secrets is not itself a copy of them.
/// </remarks>
public static class TestLogs
{
    /// <summary>Overrides the log directory (test.sh sets it and clears the directory first).</summary>
    public const string DirectoryVariable = "STRONGROOM_TEST_LOG_DIR";

    public const string SecretsFileName = "secrets.tsv";

    public const string LogExtension = ".log";

    /// <summary>Shorter values (test payloads such as "v" or "one") would match anywhere; no real secret is this short.</summary>
    public const int SecretBytesMin = 16;

    /// <summary>The public development account key: the dev server prints it on purpose, so it is never a leak.</summary>
    public const string PublicDevelopmentKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    static readonly object s_lock = new();
    static readonly HashSet<string> s_recorded = new(StringComparer.Ordinal);

    /// <summary><c>$STRONGROOM_TEST_LOG_DIR</c>, or <c>.build/test-logs</c> at the repository root.</summary>
    public static string Directory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(DirectoryVariable);
            return string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(RepositoryRoot(), ".build", "test-logs")
                : Path.GetFullPath(configured);
        }
    }

    public static string SecretsPath => Path.Combine(Directory, SecretsFileName);

    /// <summary>
    /// Records a secret the tests handle (account key, share, token, customer key, secret value), and
    /// its URL-escaped form when that differs (a secret can leak through a logged URL or query).
    /// </summary>
    public static void RecordSecret(string kind, string value)
    {
        foreach (var form in new[] { value, Uri.EscapeDataString(value) }.Distinct(StringComparer.Ordinal))
        {
            if (SecretLine(kind, form) is not { } line)
            {
                continue;
            }

            lock (s_lock)
            {
                if (!s_recorded.Add(line))
                {
                    continue;
                }

                System.IO.Directory.CreateDirectory(Directory);
                File.AppendAllText(SecretsPath, line + "\n");
            }
        }
    }

    /// <summary>The secrets file's line for <paramref name="value"/>; null for values never recorded (too short, or the public development key).</summary>
    public static string? SecretLine(string kind, string value)
    {
        if (kind.Contains('\t', StringComparison.Ordinal) || kind.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A kind is one word or phrase without tabs or line breaks.", nameof(kind));
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        return bytes.Length < SecretBytesMin || value == PublicDevelopmentKey
            ? null
            : $"{kind}\t{bytes.Length}\t{Digest(bytes)}";
    }

    /// <summary>Opens (appending) the log of the server whose data directory is named <paramref name="name"/>.</summary>
    public static StreamWriter OpenServerLog(string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var stream = new FileStream(Path.Combine(Directory, name + LogExtension), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        return new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Strongroom.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Strongroom.slnx above {AppContext.BaseDirectory}: set {DirectoryVariable}.");
    }
}
