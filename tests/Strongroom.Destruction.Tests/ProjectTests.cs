namespace Strongroom.Destruction.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void The_services_exist() => Assert.NotNull(typeof(DestructionService).Assembly);
}
