using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>The server's access sweep (lockbox and transfer expiry), driven by a fake clock (no sleeps), over delegate seams.</summary>
public sealed class AccessHostedServiceTests
{
    private sealed class Harness : IDisposable
    {
        private TaskCompletionSource<AccessSweep?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Harness(Func<CancellationToken, Task<int>> lockbox, Func<CancellationToken, Task<int>> transfers, Func<bool>? isSealed = null)
        {
            Service = new AccessSweepService(lockbox, transfers, isSealed ?? (() => false), Time);
            Service.TickHandled += sweep => next.TrySetResult(sweep);
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));

        public AccessSweepService Service { get; }

        /// <summary>Advances one interval and waits for that tick to be handled.</summary>
        public async Task<AccessSweep?> TickAsync()
        {
            next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Time.Advance(Limits.AccessSweepInterval);
            return await next.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public void Dispose() => Service.Dispose();
    }

    [Fact]
    public async Task Both_sweeps_run_every_interval_as_the_system()
    {
        var lockboxCalls = 0;
        var transferCalls = 0;
        var actors = new List<Actor>();
        using var harness = new Harness(
            _ =>
            {
                actors.Add(OperationContext.Current.Actor);
                return Task.FromResult(++lockboxCalls);
            },
            _ =>
            {
                actors.Add(OperationContext.Current.Actor);
                return Task.FromResult(10 * ++transferCalls);
            });
        TaskCompletionSource<AccessSweep?> early = new(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Service.TickHandled += sweep => early.TrySetResult(sweep);
        await harness.Service.StartAsync(CancellationToken.None);

        // Nothing before the first interval has passed.
        harness.Time.Advance(Limits.AccessSweepInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(early.Task.IsCompleted);
        Assert.Equal(0, lockboxCalls);

        var first = await harness.TickAsync();
        Assert.Equal(new AccessSweep(1, 10), first);
        var second = await harness.TickAsync();
        Assert.Equal(new AccessSweep(2, 20), second);
        Assert.All(actors, actor => Assert.Equal(Actor.System, actor));
        await harness.Service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Ticks_are_skipped_while_sealed_and_resume_after_unseal()
    {
        var isSealed = true;
        var calls = 0;
        using var harness = new Harness(_ => Task.FromResult(++calls), _ => Task.FromResult(0), () => isSealed);
        await harness.Service.StartAsync(CancellationToken.None);

        Assert.Null(await harness.TickAsync());
        Assert.Null(await harness.TickAsync());
        Assert.Equal(0, calls);

        isSealed = false;
        Assert.Equal(new AccessSweep(1, 0), await harness.TickAsync());
        await harness.Service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failing_sweep_does_not_stop_the_other_and_is_retried()
    {
        var lockboxCalls = 0;
        var transferCalls = 0;
        using var harness = new Harness(
            _ => ++lockboxCalls == 1 ? throw new StorageException(ErrorCode.AuditLogUnavailable) : Task.FromResult(3),
            _ =>
            {
                transferCalls++;
                return transferCalls == 2 ? throw new NotImplementedException("issue6-transfers") : Task.FromResult(1);
            });
        await harness.Service.StartAsync(CancellationToken.None);

        // The lockbox sweep fails; the transfer sweep still runs.
        Assert.Equal(new AccessSweep(null, 1), await harness.TickAsync());

        // The next tick retries the lockbox; now the transfers fail (any exception type).
        Assert.Equal(new AccessSweep(3, null), await harness.TickAsync());
        Assert.Equal(new AccessSweep(3, 1), await harness.TickAsync());
        Assert.Equal(3, lockboxCalls);
        Assert.Equal(3, transferCalls);
        await harness.Service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Sealed_between_the_check_and_the_sweep_is_not_an_error()
    {
        using var harness = new Harness(_ => throw new StorageException(ErrorCode.VaultSealed), _ => Task.FromResult(0));
        await harness.Service.StartAsync(CancellationToken.None);
        Assert.Equal(new AccessSweep(null, 0), await harness.TickAsync());
        await harness.Service.StopAsync(CancellationToken.None);
    }
}
