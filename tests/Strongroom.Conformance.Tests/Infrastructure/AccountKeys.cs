using System.Text.RegularExpressions;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Reads account keys out of the CLI's human-oriented output. The exact format is not fixed, so
/// this accepts any line that carries a Base64 string decoding to a 64-byte (512-bit) key, and uses
/// the labels <c>key1</c>, <c>key2</c> and <c>AccountKey=</c> when present.
/// </summary>
public static partial class AccountKeys
{
    public static (string Key1, string Key2) Parse(CliResult result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"The CLI failed.\n{result}");
        }

        string? key1 = null;
        string? key2 = null;
        var inOrder = new List<string>();
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            foreach (Match match in Base64Token().Matches(line))
            {
                var token = match.Value;
                if (!IsKey(token))
                {
                    continue;
                }

                if (!inOrder.Contains(token))
                {
                    inOrder.Add(token);
                }

                if (line.Contains("key2", StringComparison.OrdinalIgnoreCase) || line.Contains("secondary", StringComparison.OrdinalIgnoreCase))
                {
                    key2 ??= token;
                }
                else if (line.Contains("key1", StringComparison.OrdinalIgnoreCase) || line.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase)
                         || line.Contains("primary", StringComparison.OrdinalIgnoreCase))
                {
                    key1 ??= token;
                }
            }
        }

        key1 ??= inOrder.FirstOrDefault(k => k != key2);
        key2 ??= inOrder.FirstOrDefault(k => k != key1);
        if (key1 is null || key2 is null || key1 == key2)
        {
            throw new InvalidOperationException($"Could not find two distinct 512-bit Base64 keys in the CLI output.\n{result}");
        }

        TestLogs.RecordSecret("account key", key1);
        TestLogs.RecordSecret("account key", key2);
        return (key1, key2);
    }

    static bool IsKey(string token)
    {
        var buffer = new byte[token.Length];
        return Convert.TryFromBase64String(token, buffer, out var written) && written == 64;
    }

    // A 64-byte key is 88 Base64 characters with "==" padding.
    [GeneratedRegex(@"[A-Za-z0-9+/]{86}==")]
    private static partial Regex Base64Token();
}
