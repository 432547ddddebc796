using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>Settings of the console (the host fills them from the management listener's).</summary>
public sealed class ConsoleOptions
{
    /// <summary>Refuse plain HTTP (as the management plane does; only development turns it off).</summary>
    public bool RequireHttps { get; init; } = true;

    /// <summary>The injected clock (the history sampler, "as of" lines).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The host's operations read (sites, backlogs, lag, queues), the same one <c>/metrics</c>
    /// exports. Null: the pages that need it say it is not available.
    /// </summary>
    public Func<CancellationToken, Task<OperationsSnapshot>>? ReadOperations { get; init; }

    /// <summary>How often the charts' history is sampled (the ring holds <see cref="ConsoleHistory.DefaultCapacity"/> samples).</summary>
    public TimeSpan HistoryInterval { get; init; } = ConsoleHistory.DefaultInterval;

    /// <summary>Start the history sampler's timer (the host does; unit tests sample by hand).</summary>
    public bool SampleHistory { get; init; } = true;
}
