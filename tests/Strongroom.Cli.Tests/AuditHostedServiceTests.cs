using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>The server's checkpoint publisher and pruner, driven by a fake clock (no sleeps).</summary>
public sealed class AuditHostedServiceTests
{
    [Fact]
    public async Task The_publisher_signs_once_per_interval_and_skips_while_sealed()
    {
        var time = new FakeTimeProvider();
        var sealedVault = false;
        var calls = 0;
        Actor? actor = null;
        using var publisher = new CheckpointPublisher(
            _ =>
            {
                calls++;
                actor = OperationContext.Current.Actor;
                return Task.FromResult(2);
            },
            () => sealedVault,
            time);
        TaskCompletionSource<int?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.TickHandled += published => next.TrySetResult(published);
        await publisher.StartAsync(CancellationToken.None);

        // Not before the interval.
        time.Advance(Limits.AuditCheckpointInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(next.Task.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, calls);
        Assert.Equal(Actor.System, actor);

        sealedVault = true;
        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(Limits.AuditCheckpointInterval);
        Assert.Null(await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, calls);

        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failing_publish_does_not_stop_the_publisher()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var publisher = new CheckpointPublisher(
            _ => ++calls == 1 ? throw new StorageException(ErrorCode.AuditLogUnavailable) : Task.FromResult(1),
            () => false,
            time);
        TaskCompletionSource<int?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.TickHandled += published => next.TrySetResult(published);
        await publisher.StartAsync(CancellationToken.None);

        time.Advance(Limits.AuditCheckpointInterval);
        Assert.Null(await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(Limits.AuditCheckpointInterval);
        Assert.Equal(1, await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_pruner_runs_every_prune_interval()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var pruner = new AuditPruner(_ => Task.FromResult((long)++calls), time);
        TaskCompletionSource<long?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        pruner.TickHandled += pruned => next.TrySetResult(pruned);
        await pruner.StartAsync(CancellationToken.None);

        time.Advance(Limits.AuditCheckpointInterval);
        Assert.False(next.Task.IsCompleted);
        time.Advance(Limits.AuditPruneInterval);
        Assert.Equal(1L, await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await pruner.StopAsync(CancellationToken.None);
        Assert.Equal(1, calls);
    }
}
