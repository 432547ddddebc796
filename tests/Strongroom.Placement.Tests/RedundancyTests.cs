using Strongroom.Core;

namespace Strongroom.Placement.Tests;

public sealed class RedundancyTests
{
    [Theory]
    [InlineData("LRS", 3, 0, 2)]
    [InlineData("ZRS", 3, 0, 2)]
    [InlineData("GRS", 3, 3, 2)]
    [InlineData("RA-GRS", 3, 3, 2)]
    [InlineData("GZRS", 3, 3, 2)]
    [InlineData("RA-GZRS", 3, 3, 2)]
    [InlineData("custom:copies=1,zones=1,regions=1,sync", 1, 0, 1)]
    [InlineData("custom:copies=2,zones=1,regions=1,sync", 2, 0, 2)]
    [InlineData("custom:copies=5,zones=2,regions=1,sync", 5, 0, 3)]
    [InlineData("custom:copies=4,zones=1,regions=2,sync", 2, 2, 3)]
    [InlineData("custom:copies=3,zones=1,regions=2,async", 2, 1, 2)]
    public void Named_and_custom_redundancies_round_trip_with_azure_copy_counts(string text, int primary, int secondary, int quorum)
    {
        var redundancy = Redundancy.Parse(text);
        Assert.Equal(text, redundancy.ToString());
        Assert.Equal(primary, redundancy.PrimaryCopies);
        Assert.Equal(secondary, redundancy.SecondaryCopies);
        Assert.Equal(quorum, redundancy.WriteQuorum);
    }

    [Theory]
    [InlineData("lrs", "LRS")]
    [InlineData("ragrs", "RA-GRS")]
    [InlineData("Standard_RAGZRS", "STANDARDRAGZRS")]
    public void Names_are_case_insensitive_but_unknown_names_are_refused(string text, string canonical)
    {
        if (canonical.StartsWith("STANDARD", StringComparison.Ordinal))
        {
            Assert.Equal(ErrorCode.InvalidPlacementPolicy, Assert.Throws<StorageException>(() => Redundancy.Parse(text)).Code);
            return;
        }

        Assert.Equal(canonical, Redundancy.Parse(text).ToString());
    }

    [Theory]
    [InlineData("custom:copies=0,zones=1,regions=1,sync")]
    [InlineData("custom:copies=10,zones=1,regions=1,sync")]
    [InlineData("custom:copies=3,zones=4,regions=1,sync")]
    [InlineData("custom:copies=1,zones=1,regions=2,sync")]
    [InlineData("custom:copies=3,zones=1,regions=1,async")]
    [InlineData("custom:copies=3,zones=1,regions=3,sync")]
    [InlineData("custom:copies=3")]
    public void Impossible_custom_redundancies_are_refused_with_a_reason(string text)
    {
        var error = Assert.Throws<StorageException>(() => Redundancy.Parse(text));
        Assert.Equal(ErrorCode.InvalidPlacementPolicy, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
