namespace Strongroom.Protocol.Management;

public sealed partial class ManagementProtocolHandler
{
    // TODO(issue 6): the Transfers routes (issue6-transfers).
    private IEnumerable<Route> TransferRoutes() => [];
}
