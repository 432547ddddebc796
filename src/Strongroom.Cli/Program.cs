using System.Runtime.InteropServices;
using Strongroom.Cli;

// The first Ctrl+C or SIGTERM asks for a graceful stop; a second one ends the process at once.
using var stop = new CancellationTokenSource();
var signals = new List<PosixSignalRegistration>();
foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
{
    signals.Add(PosixSignalRegistration.Create(signal, context =>
    {
        if (!stop.IsCancellationRequested)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }));
}

try
{
    return await Cli.RunAsync(args, Console.In, interactive: !Console.IsInputRedirected, Console.Out, Console.Error, stop.Token);
}
finally
{
    foreach (var registration in signals)
    {
        registration.Dispose();
    }
}
