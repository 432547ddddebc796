using Strongroom.Core;

namespace Strongroom.Access.Tests;

public sealed class PrincipalIdsTests
{
    [Theory]
    [InlineData("alice", true)]
    [InlineData("ops.bob-2", true)]
    [InlineData("ab", false)]
    [InlineData("Alice", false)]
    [InlineData("1alice", false)]
    [InlineData("alice/evil", false)]
    public void Names_follow_the_rule(string name, bool valid) => Assert.Equal(valid, PrincipalIds.IsValidName(name));

    [Fact]
    public void Roles_round_trip_through_their_names()
    {
        foreach (var role in Enum.GetValues<OperatorRole>())
        {
            Assert.True(PrincipalIds.TryParseRole(PrincipalIds.RoleName(role), out var parsed));
            Assert.Equal(role, parsed);
        }

        Assert.False(PrincipalIds.TryParseRole("root", out _));
    }
}
