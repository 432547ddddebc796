using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// Azure's evaluation of HTTP conditional headers (matching live Azure as Azurite's validators
/// document it). Dates compare at Last-Modified's one-second resolution.
/// </summary>
internal static class Conditions
{
    /// <summary>Reads: If-Match, If-Unmodified-Since and x-ms-if-tags fail with 412; If-None-Match or
    /// If-Modified-Since fail with 304. <paramref name="eTag"/> is null when the resource is absent;
    /// <paramref name="tags"/> are the blob's (null: none).</summary>
    public static void CheckRead(AccessConditions conditions, string? eTag, DateTimeOffset lastModified, IReadOnlyList<KeyValuePair<string, string>>? tags = null)
    {
        if (conditions.IsEmpty)
        {
            return;
        }

        if (conditions.IfNoneMatch is { } noneMatch && noneMatch.Trim() == "*")
        {
            throw new StorageException(ErrorCode.UnsatisfiableCondition);
        }

        CheckTags(conditions, tags);

        if (conditions.IfMatch is { } match && (eTag is null || !Matches(match, eTag)))
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }

        if (eTag is null)
        {
            return;
        }

        var modified = TruncateToSeconds(lastModified);
        if (conditions.IfUnmodifiedSince is { } unmodifiedSince && modified > unmodifiedSince)
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch)
        {
            if (Matches(ifNoneMatch, eTag))
            {
                throw new StorageException(ErrorCode.NotModified);
            }
        }
        else if (conditions.IfModifiedSince is { } modifiedSince && modified <= modifiedSince)
        {
            throw new StorageException(ErrorCode.NotModified);
        }
    }

    /// <summary>Writes: If-None-Match: * on an existing blob is 409 BlobAlreadyExists when
    /// <paramref name="existsError"/> is given; every other failed condition is 412. x-ms-if-tags
    /// is evaluated on <paramref name="tags"/> (null: a blob without tags, or none at all).</summary>
    public static void CheckWrite(AccessConditions conditions, string? eTag, DateTimeOffset lastModified, ErrorCode? existsError = null, IReadOnlyList<KeyValuePair<string, string>>? tags = null)
    {
        if (conditions.IsEmpty)
        {
            return;
        }

        CheckTags(conditions, tags);

        if (conditions.IfMatch is { } match && (eTag is null || !Matches(match, eTag)))
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }

        if (conditions.IfNoneMatch is { } noneMatch && eTag is not null && Matches(noneMatch, eTag))
        {
            throw new StorageException(noneMatch.Trim() == "*" && existsError is { } code ? code : ErrorCode.ConditionNotMet);
        }

        if (eTag is null)
        {
            return;
        }

        var modified = TruncateToSeconds(lastModified);
        if (conditions.IfModifiedSince is { } modifiedSince && modified <= modifiedSince)
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }

        if (conditions.IfUnmodifiedSince is { } unmodifiedSince && modified > unmodifiedSince)
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }
    }

    /// <summary>x-ms-if-tags: a blob whose tags do not satisfy the expression (an absent blob has none) is 412 ConditionNotMet.</summary>
    public static void CheckTags(AccessConditions conditions, IReadOnlyList<KeyValuePair<string, string>>? tags)
    {
        if (conditions.IfTags is { } expression && !expression.Matches(tags))
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }
    }

    /// <summary>A header value is "*" or a comma-separated list of quoted ETags.</summary>
    private static bool Matches(string header, string eTag)
    {
        foreach (var candidate in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate == "*" || candidate == eTag || Unquote(candidate) == Unquote(eTag))
            {
                return true;
            }
        }

        return false;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
