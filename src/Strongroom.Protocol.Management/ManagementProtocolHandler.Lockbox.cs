namespace Strongroom.Protocol.Management;

public sealed partial class ManagementProtocolHandler
{
    // TODO(issue 6): the Lockbox routes (issue6-lockbox).
    private IEnumerable<Route> LockboxRoutes() => [];
}
