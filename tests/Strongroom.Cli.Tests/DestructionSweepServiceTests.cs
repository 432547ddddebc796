using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>The hosted destruction sweep: one pass per call, none while sealed, failures swallowed for the next tick.</summary>
public sealed class DestructionSweepServiceTests
{
    private static readonly SweepPass Pass = new(1, 0, 0, 2, 1, 1, []);

    [Fact]
    public async Task A_pass_runs_as_the_system_and_returns_what_it_did()
    {
        var calls = 0;
        Actor? actor = null;
        using var service = new DestructionSweepService(
            _ =>
            {
                calls++;
                actor = OperationContext.Current.Actor;
                return Task.FromResult(Pass);
            },
            () => false,
            new FakeTimeProvider());

        Assert.Equal(Pass, await service.RunOnceAsync());
        Assert.Equal(1, calls);
        Assert.Equal(Actor.System, actor);
    }

    [Fact]
    public async Task Nothing_runs_while_the_vault_is_sealed()
    {
        var sealedVault = true;
        var calls = 0;
        using var service = new DestructionSweepService(_ => { calls++; return Task.FromResult(Pass); }, () => sealedVault, new FakeTimeProvider());

        Assert.Null(await service.RunOnceAsync());
        Assert.Equal(0, calls);

        sealedVault = false;
        Assert.NotNull(await service.RunOnceAsync());
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_failed_pass_is_reported_as_none_and_the_next_one_runs()
    {
        var fail = true;
        using var service = new DestructionSweepService(
            _ => fail ? throw new StorageException(ErrorCode.InsufficientSitesAvailable) : Task.FromResult(Pass),
            () => false,
            new FakeTimeProvider());

        Assert.Null(await service.RunOnceAsync());
        fail = false;
        Assert.Equal(Pass, await service.RunOnceAsync());
    }
}
