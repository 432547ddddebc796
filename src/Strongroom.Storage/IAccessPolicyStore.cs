using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Containers' stored access policies (Get and Set Container ACL). Implemented by the metadata
/// store, whose transaction also carries the write's transparency-log entry.
/// </summary>
public interface IAccessPolicyStore
{
    /// <summary>The container and its policies in their stored order, read together; null when the container does not exist.</summary>
    Task<(ContainerRecord Container, IReadOnlyList<SignedIdentifier> Policies)?> GetContainerAccessPoliciesAsync(string account, string container, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the container's policies with <paramref name="policies"/> (already validated) and gives
    /// the container a new ETag and last-modified time, after <paramref name="precondition"/> passed
    /// on the current container; ContainerNotFound when it does not exist.
    /// </summary>
    Task<ContainerRecord> SetContainerAccessPoliciesAsync(string account, string container, IReadOnlyList<SignedIdentifier> policies, string eTag, DateTimeOffset lastModified, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}
