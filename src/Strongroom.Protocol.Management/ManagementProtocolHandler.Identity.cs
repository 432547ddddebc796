namespace Strongroom.Protocol.Management;

public sealed partial class ManagementProtocolHandler
{
    // TODO(issue 6): the Identity routes (issue6-identity).
    private IEnumerable<Route> IdentityRoutes() => [];
}
