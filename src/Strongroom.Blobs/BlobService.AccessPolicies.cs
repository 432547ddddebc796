using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

// Stored access policies (Get and Set Container ACL) and the lookup a service SAS naming one needs.
public sealed partial class BlobService
{
    private IAccessPolicyStore AccessPolicyStore =>
        store as IAccessPolicyStore ?? throw new InvalidOperationException("The metadata store does not keep stored access policies.");

    /// <summary>Get Container ACL: the container (ETag, last modified) and its policies in their stored order.</summary>
    public async Task<(ContainerRecord Container, IReadOnlyList<SignedIdentifier> Policies)> GetContainerAclAsync(string account, string container, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        var found = await AccessPolicyStore.GetContainerAccessPoliciesAsync(account, container, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.ContainerNotFound);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.GetContainerAcl, container, null, cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>
    /// Set Container ACL: replaces the container's policies (Azure's rules: at most five, unique ids
    /// of 1–64 characters, known permission letters). A change of who may use which SAS is always
    /// recorded, whatever the account's logging setting, naming the policies it leaves.
    /// </summary>
    public async Task<ContainerRecord> SetContainerAclAsync(string account, string container, IReadOnlyList<SignedIdentifier> policies, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        AccessPolicies.Validate(policies);
        var (eTag, now) = eTags.Next();
        var entry = audit.Entry(
            account,
            nameof(BlobOperation.SetContainerAcl),
            Resource(account, container, null),
            details: [new("signedIdentifiers", string.Join(',', policies.Select(policy => policy.Id)))]);
        return await AccessPolicyStore.SetContainerAccessPoliciesAsync(
            account,
            container,
            policies,
            eTag,
            now,
            current => Conditions.CheckWrite(conditions, current.ETag, current.LastModified),
            entry,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The stored access policy <paramref name="id"/> of a container, for authorizing a service SAS
    /// that names it (not an operation: nothing is recorded; the operation the SAS authorizes is).
    /// Null when the container or the policy does not exist.
    /// </summary>
    public async Task<SignedIdentifier?> FindAccessPolicyAsync(string account, string container, string id, CancellationToken cancellationToken = default)
    {
        var found = await AccessPolicyStore.GetContainerAccessPoliciesAsync(account, container, cancellationToken).ConfigureAwait(false);
        if (found is not { } value)
        {
            return null;
        }

        foreach (var policy in value.Policies)
        {
            if (string.Equals(policy.Id, id, StringComparison.Ordinal))
            {
                return policy;
            }
        }

        return null;
    }
}
