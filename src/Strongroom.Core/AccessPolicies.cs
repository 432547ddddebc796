namespace Strongroom.Core;

/// <summary>
/// A stored access policy of a container (Azure's signed identifier, Set Container ACL). A service
/// SAS naming it with <c>si=</c> takes the start, expiry and permissions it leaves out from here, and
/// stops working the moment the policy is changed or removed: that is how a SAS is revoked without
/// rotating the account key. Null fields are absent from the policy.
/// </summary>
public sealed record SignedIdentifier(string Id, DateTimeOffset? Start, DateTimeOffset? Expiry, string? Permission);

/// <summary>Azure's rules for stored access policies and SAS permission letters.</summary>
public static class AccessPolicies
{
    /// <summary>
    /// Every permission letter a blob or container SAS (or a stored access policy) may carry, in
    /// Azure's canonical order: read, add, create, write, delete, delete version, permanent delete,
    /// list, tags, find, move, execute, ownership, permissions, set immutability policy.
    /// </summary>
    public const string ServicePermissionLetters = "racwdxyltfmeopi";

    /// <summary>The letters of an account SAS: read, write, delete, delete version, permanent delete, list, add, create, update, process, tags, find, set immutability policy.</summary>
    public const string AccountPermissionLetters = "rwdxylacuptfi";

    /// <summary>True when every letter of <paramref name="permission"/> is one of <paramref name="letters"/>, none repeated.</summary>
    public static bool IsValidPermission(string permission, string letters)
    {
        ArgumentNullException.ThrowIfNull(permission);
        for (var i = 0; i < permission.Length; i++)
        {
            if (!letters.Contains(permission[i], StringComparison.Ordinal) || permission.IndexOf(permission[i], i + 1) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Validates a container's policies for Set Container ACL: at most five, ids unique and 1–64 characters, known permission letters, expiry after start.</summary>
    public static void Validate(IReadOnlyList<SignedIdentifier> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        if (policies.Count > Limits.SignedIdentifiersPerContainerMax)
        {
            throw new StorageException(ErrorCode.InvalidAccessPolicy, $"A container may have at most {Limits.SignedIdentifiersPerContainerMax} stored access policies.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            if (string.IsNullOrEmpty(policy.Id) || policy.Id.Length > Limits.SignedIdentifierIdCharsMax)
            {
                throw new StorageException(ErrorCode.InvalidAccessPolicy, $"A signed identifier is 1 to {Limits.SignedIdentifierIdCharsMax} characters long.");
            }

            if (!ids.Add(policy.Id))
            {
                throw new StorageException(ErrorCode.InvalidAccessPolicy, $"The signed identifier '{policy.Id}' appears twice.");
            }

            if (policy.Permission is { } permission && !IsValidPermission(permission, ServicePermissionLetters))
            {
                throw new StorageException(ErrorCode.InvalidAccessPolicy, $"The permission '{permission}' of signed identifier '{policy.Id}' is not valid.");
            }

            if (policy.Start is { } start && policy.Expiry is { } expiry && expiry <= start)
            {
                throw new StorageException(ErrorCode.InvalidAccessPolicy, $"The expiry of signed identifier '{policy.Id}' is not after its start.");
            }
        }
    }
}
