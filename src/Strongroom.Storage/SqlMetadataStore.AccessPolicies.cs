using Strongroom.Core;

namespace Strongroom.Storage;

// Stored access policies: a container's signed identifiers, replaced as a whole by Set Container ACL.
public sealed partial class SqlMetadataStore : IAccessPolicyStore
{
    public Task<(ContainerRecord Container, IReadOnlyList<SignedIdentifier> Policies)?> GetContainerAccessPoliciesAsync(string account, string container, CancellationToken cancellationToken = default) =>
        ReadAsync<(ContainerRecord Container, IReadOnlyList<SignedIdentifier> Policies)?>(
            tx => ReadContainer(tx, account, container) is { } record ? (record, ReadAccessPolicies(tx, account, container)) : null,
            cancellationToken);

    public Task<ContainerRecord> SetContainerAccessPoliciesAsync(string account, string container, IReadOnlyList<SignedIdentifier> policies, string eTag, DateTimeOffset lastModified, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(eTag);
        Invariant.True(policies.Count <= Limits.SignedIdentifiersPerContainerMax, "At most five stored access policies per container.");
        return WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, container) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                precondition?.Invoke(current);
                (string, object?)[] key = [("@account", account), ("@container", container)];
                tx.Execute("DELETE FROM container_access_policies WHERE account = @account AND container = @container", key);
                for (var i = 0; i < policies.Count; i++)
                {
                    var policy = policies[i];
                    tx.Execute(
                        "INSERT INTO container_access_policies (account, container, ordinal, id, start, expiry, permission) VALUES (@account, @container, @ordinal, @id, @start, @expiry, @permission)",
                        ("@account", account),
                        ("@container", container),
                        ("@ordinal", i),
                        ("@id", policy.Id),
                        ("@start", policy.Start is { } start ? ToTicks(start) : null),
                        ("@expiry", policy.Expiry is { } expiry ? ToTicks(expiry) : null),
                        ("@permission", policy.Permission));
                }

                tx.Execute(
                    "UPDATE containers SET etag = @etag, last_modified = @last_modified WHERE account = @account AND name = @container",
                    ("@account", account),
                    ("@container", container),
                    ("@etag", eTag),
                    ("@last_modified", ToTicks(lastModified)));
                return ReadContainer(tx, account, container)!;
            },
            audit,
            cancellationToken);
    }

    private static List<SignedIdentifier> ReadAccessPolicies(Transaction tx, string account, string container)
    {
        using var reader = tx.Query(
            "SELECT id, start, expiry, permission FROM container_access_policies WHERE account = @account AND container = @container ORDER BY ordinal",
            ("@account", account),
            ("@container", container));
        var policies = new List<SignedIdentifier>();
        while (reader.Read())
        {
            policies.Add(new SignedIdentifier(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : FromTicks(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : FromTicks(reader.GetInt64(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return policies;
    }
}
