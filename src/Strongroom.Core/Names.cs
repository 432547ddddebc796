using System.Globalization;
using System.Text;

namespace Strongroom.Core;

/// <summary>Azure's naming rules for accounts, containers, blobs and metadata.</summary>
public static class Names
{
    /// <summary>3–24 characters, lowercase letters and digits only.</summary>
    public static bool IsValidAccountName(string name) =>
        name.Length is >= Limits.AccountNameLengthMin and <= Limits.AccountNameLengthMax
        && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');

    /// <summary>
    /// 3–63 characters of lowercase letters, digits and hyphens; starts and ends with a letter or
    /// digit; no two consecutive hyphens. <c>$root</c> and <c>$logs</c> are the reserved exceptions.
    /// </summary>
    public static bool IsValidContainerName(string name)
    {
        if (name is "$root" or "$logs" or "$web")
        {
            return true;
        }

        if (name.Length is < Limits.ContainerNameLengthMin or > Limits.ContainerNameLengthMax)
        {
            return false;
        }

        if (name[0] == '-' || name[^1] == '-' || name.Contains("--", StringComparison.Ordinal))
        {
            return false;
        }

        return name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');
    }

    /// <summary>1–1024 characters, at most 254 path segments, no control characters that cannot be sent.</summary>
    public static bool IsValidBlobName(string name)
    {
        if (name.Length is 0 or > Limits.BlobNameLengthMax)
        {
            return false;
        }

        if (name.Count(c => c == '/') >= Limits.BlobNamePathSegmentsMax)
        {
            return false;
        }

        // Unpaired surrogates cannot be encoded as UTF-8 and would not round-trip.
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]))
            {
                if (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(name[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Metadata names follow C# identifier rules (Azure).</summary>
    public static bool IsValidMetadataName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        if (!IsIdentifierStart(name[0]))
        {
            return false;
        }

        for (var i = 1; i < name.Length; i++)
        {
            if (!IsIdentifierPart(name[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Validates a full metadata set: identifier names, no duplicate names ignoring case, and
    /// the total of names and values within <see cref="Limits.MetadataBytesMax"/>.
    /// </summary>
    public static void ValidateMetadata(IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var totalBytes = 0;
        foreach (var (name, value) in metadata)
        {
            if (!IsValidMetadataName(name) || !seen.Add(name))
            {
                throw new StorageException(ErrorCode.InvalidMetadata, $"The metadata name '{name}' is not valid.");
            }

            totalBytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }

        if (totalBytes > Limits.MetadataBytesMax)
        {
            throw new StorageException(ErrorCode.MetadataTooLarge);
        }
    }

    private static bool IsIdentifierStart(char c) =>
        c == '_' || char.IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber;

    private static bool IsIdentifierPart(char c) =>
        IsIdentifierStart(c) || char.IsDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.Format;
}
