namespace Strongroom.Protocol.Management;

public sealed partial class ManagementProtocolHandler
{
    // TODO(issue 6): the Platform routes (issue6-mgmt).
    private IEnumerable<Route> PlatformRoutes() => [];
}
