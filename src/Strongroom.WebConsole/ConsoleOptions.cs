namespace Strongroom.WebConsole;

/// <summary>Settings of the console (the host fills them from the management listener's).</summary>
public sealed class ConsoleOptions
{
    /// <summary>Refuse plain HTTP (as the management plane does; only development turns it off).</summary>
    public bool RequireHttps { get; init; } = true;

    /// <summary>The injected clock (the history sampler, "as of" lines).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
