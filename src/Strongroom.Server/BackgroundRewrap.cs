using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Server;

/// <summary>
/// Runs rewrap passes in the background of a server: after a rotation (<see cref="Request"/>) and
/// once at start when an old key version exists. Requests made while a pass runs coalesce into one
/// more pass. Cancelling <see cref="RunAsync"/> stops it between batches; nothing is lost, as every
/// batch is committed on its own and a later pass (or <c>strongroom vault rewrap</c>) carries on.
///
/// Among the servers of a deployment (issue 9) a pass runs only on the holder of the rewrap job's
/// lease (<see cref="Gate"/>). A request on a server that cannot run it — another server holds
/// the job, or this one is sealed — is recorded in the store (<see cref="JobGate.RequestAsync"/>);
/// the holder's heartbeat sees it and runs the pass, or, when nobody holds the job, the next
/// willing server's heartbeat takes the job with the request. The pass clears the request only
/// when it completed and the request is no newer than its start.
/// </summary>
public sealed class BackgroundRewrap(KeyRewrapper rewrapper)
{
    private readonly Channel<bool> requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private TaskCompletionSource<RewrapCounts> nextPass = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called after each completed pass (the deployment records it in the platform log).</summary>
    public Func<RewrapCounts, CancellationToken, Task>? PassCompleted { get; set; }

    private JobGate gate = JobGate.Always(BackgroundJobs.Rewrap);

    /// <summary>The rewrap job's gate (the server sets its coordinator's; alone on a store it always runs).</summary>
    public JobGate Gate
    {
        get => gate;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            gate.Requested -= Request;
            gate = value;
            gate.Requested += Request;
        }
    }

    /// <summary>True while the vault is sealed: a pass needs the keyring (the server sets it; null: never sealed).</summary>
    public Func<bool>? IsSealed { get; set; }

    /// <summary>Asks for a pass; returns at once.</summary>
    public void Request() => requests.Writer.TryWrite(true);

    /// <summary>Completes with the counts of the next pass to finish (after this call).</summary>
    public Task<RewrapCounts> NextPassAsync() => Volatile.Read(ref nextPass).Task;

    /// <summary>The loop: waits for a request, runs a pass, repeats until cancelled.</summary>
    public async Task RunAsync(ILogger? logger, CancellationToken cancellationToken)
    {
        while (await requests.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            requests.Reader.TryRead(out _);
            var currentGate = gate;
            if (!await MayRunAsync(currentGate, logger, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var served = currentGate.Lease?.RequestedOn;
            var completing = Interlocked.Exchange(ref nextPass, new TaskCompletionSource<RewrapCounts>(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                var counts = await rewrapper.RunAsync(cancellationToken).ConfigureAwait(false);
                if (counts.Rewrapped > 0 || counts.Failed > 0)
                {
                    logger?.LogWarning(
                        "Key rewrap pass: {SharedKeys} shared key(s), {KeyEncryptionKeys} key-encryption key(s), {DataKeys} data key(s), {VaultItemValues} vault item value(s) moved to the current version; {Skipped} changed meanwhile; {Failed} did not unwrap.",
                        counts.SharedKeys,
                        counts.KeyEncryptionKeys,
                        counts.DataKeys,
                        counts.VaultItemValues,
                        counts.Skipped,
                        counts.Failed);
                }

                if (PassCompleted is { } passCompleted)
                {
                    await passCompleted(counts, cancellationToken).ConfigureAwait(false);
                }

                completing.TrySetResult(counts);

                // A failure here leaves the request for one more (idempotent) pass.
                await currentGate.CompleteAsync(served, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                completing.TrySetCanceled(cancellationToken);
                throw;
            }
            catch (Exception exception)
            {
                // A failed pass (database busy, sealed) is retried at the next request; the message
                // names no key (store and vault errors never carry key material).
                logger?.LogError("Key rewrap pass failed: {Error}", exception.Message);
                completing.TrySetException(exception);
            }
        }
    }

    /// <summary>
    /// True when this server runs the requested pass. Otherwise the request is recorded in the
    /// store for the server that can (released first while sealed, so an unsealed one takes it).
    /// </summary>
    private async Task<bool> MayRunAsync(JobGate currentGate, ILogger? logger, CancellationToken cancellationToken)
    {
        try
        {
            if (IsSealed?.Invoke() == true)
            {
                await currentGate.ReleaseAsync(cancellationToken).ConfigureAwait(false);
                await currentGate.RequestAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }

            if (await currentGate.HoldsAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            await currentGate.RequestAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The store is unreachable: this server's next request (an unseal, a rotation) asks again.
            logger?.LogError("Could not hand a key rewrap request to the deployment: {ExceptionType}.", exception.GetType().Name);
            return false;
        }
    }
}

/// <summary>Hosts <see cref="BackgroundRewrap.RunAsync"/> for the server's lifetime.</summary>
internal sealed class RewrapHostedService(BackgroundRewrap rewrap, ILogger<RewrapHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await rewrap.RunAsync(logger, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the pass resumes at the next start or with `strongroom vault rewrap`.
        }
    }
}
