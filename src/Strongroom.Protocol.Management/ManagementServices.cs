using Strongroom.Access;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>What the management plane calls: the access services, and the host's platform operations as delegates (the host composes them).</summary>
public sealed class ManagementServices
{
    public required IdentityService Identities { get; init; }

    public required LockboxService Lockbox { get; init; }

    public required TransferService Transfers { get; init; }

    public required IRandomSource Random { get; init; }

    /// <summary>True while the vault is sealed: only routes marked to answer while sealed do.</summary>
    public Func<bool> IsSealed { get; init; } = () => false;
}

/// <summary>Settings of the management listener.</summary>
public sealed class ManagementOptions
{
    /// <summary>Refuse plain HTTP (only <c>--dev</c> or <c>--dangerous-allow-http</c> turn it off).</summary>
    public bool RequireHttps { get; set; } = true;
}
