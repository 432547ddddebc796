namespace Strongroom.Access.Tests;

public sealed partial class AccessFixture
{
    // TODO(issue 6): the transfers helper replaces this with the sites and placement its tests need.
    private partial Task InitializeAreaAsync() => Task.CompletedTask;
}
