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

    [Fact]
    public void Accesses_and_legal_bases_round_trip_through_their_names()
    {
        foreach (var access in Enum.GetValues<LockboxAccess>())
        {
            Assert.True(AccessNames.TryParseAccess(AccessNames.AccessName(access), out var parsed));
            Assert.Equal(access, parsed);
        }

        foreach (var basis in Enum.GetValues<TransferLegalBasis>())
        {
            Assert.True(AccessNames.TryParseLegalBasis(AccessNames.LegalBasisName(basis), out var parsed));
            Assert.Equal(basis, parsed);
        }

        Assert.Equal("read-data", AccessNames.AccessName(LockboxAccess.ReadData));
        Assert.Equal("standard-contract", AccessNames.LegalBasisName(TransferLegalBasis.StandardContract));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Metadata")]
    [InlineData("read-data ")]
    public void Unknown_names_do_not_parse(string? name)
    {
        Assert.False(AccessNames.TryParseAccess(name, out var access));
        Assert.Equal(default, access);
        Assert.False(AccessNames.TryParseLegalBasis(name, out _));
        Assert.False(PrincipalIds.TryParseRole(name, out _));
    }

    [Fact]
    public void A_member_without_a_name_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PrincipalIds.RoleName((OperatorRole)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => AccessNames.AccessName(default));
        Assert.Throws<ArgumentOutOfRangeException>(() => AccessNames.LegalBasisName((TransferLegalBasis)9));
    }
}
