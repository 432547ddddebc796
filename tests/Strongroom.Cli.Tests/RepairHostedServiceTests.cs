using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>The server's repair loop, driven by a fake clock and wake requests (no sleeps).</summary>
public sealed class RepairHostedServiceTests
{
    private static readonly RepairPass Empty = new(0, 0, 0, 0, 0, 0, 0);

    [Fact]
    public async Task A_pass_runs_every_repair_interval_as_the_system()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        Actor? actor = null;
        using var service = new RepairHostedService(
            _ =>
            {
                calls++;
                actor = OperationContext.Current.Actor;
                return Task.FromResult(Empty with { CopiesMade = calls });
            },
            time);
        TaskCompletionSource<RepairPass?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PassHandled += pass => next.TrySetResult(pass);
        await service.StartAsync(CancellationToken.None);

        time.Advance(Limits.RepairInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(next.Task.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);
        Assert.Equal(Actor.System, actor);

        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(Limits.RepairInterval);
        Assert.Equal(2, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Wake_runs_a_pass_before_the_interval()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var service = new RepairHostedService(_ => Task.FromResult(Empty with { CopiesMade = ++calls }), time);
        TaskCompletionSource<RepairPass?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PassHandled += pass => next.TrySetResult(pass);
        await service.StartAsync(CancellationToken.None);

        service.Wake();
        Assert.Equal(1, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);

        // The timer still ticks after a wake (its pending wait survived the wake).
        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(Limits.RepairInterval);
        Assert.Equal(2, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);

        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Wake();
        Assert.Equal(3, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failing_pass_is_retried_at_the_next_interval()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var service = new RepairHostedService(
            _ => ++calls == 1 ? throw new IOException("site gone") : Task.FromResult(Empty with { CopiesMade = calls }),
            time);
        TaskCompletionSource<RepairPass?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PassHandled += pass => next.TrySetResult(pass);
        await service.StartAsync(CancellationToken.None);

        time.Advance(Limits.RepairInterval);
        Assert.Null(await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(Limits.RepairInterval);
        Assert.Equal(2, (await next.Task.WaitAsync(TimeSpan.FromSeconds(30)))!.CopiesMade);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_ends_the_loop()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var service = new RepairHostedService(_ => Task.FromResult(Empty with { CopiesMade = ++calls }), time);
        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);
        time.Advance(Limits.RepairInterval * 3);
        Assert.Equal(0, calls);
        Assert.True(service.ExecuteTask!.IsCompleted);
    }
}
