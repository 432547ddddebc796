namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// A manual clock for a whole server, like a machine that was suspended: <see cref="Advance"/>
/// jumps, and each timer that came due fires once, then is due a period after the new time.
/// FakeTimeProvider instead fires a periodic timer once for every period skipped, inline, so a
/// jump of thirty days runs the checkpoint publisher's ten-second loop 259,200 times before
/// Advance returns. Timer callbacks run on the caller of <see cref="Advance"/>, in due order.
/// </summary>
public sealed class EvidenceClock(DateTimeOffset start) : TimeProvider
{
    private readonly object gate = new();
    private readonly List<Timer> timers = [];
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            return now;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        List<Timer> due;
        lock (gate)
        {
            now += by;
            due = [.. timers.Where(timer => timer.DueAt is { } at && at <= now).OrderBy(timer => timer.DueAt)];
            foreach (var timer in due)
            {
                timer.DueAt = timer.Period is { } period ? now + period : null;
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        lock (gate)
        {
            timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class Timer(EvidenceClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var fireNow = false;
            lock (clock.gate)
            {
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    DueAt = null;
                }
                else if (dueTime <= TimeSpan.Zero)
                {
                    fireNow = true;
                    DueAt = Period is { } next ? clock.now + next : null;
                }
                else
                {
                    DueAt = clock.now + dueTime;
                }
            }

            if (fireNow)
            {
                ThreadPool.QueueUserWorkItem(_ => Fire());
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock.gate)
            {
                DueAt = null;
                clock.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
