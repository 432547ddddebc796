namespace Strongroom.Core;

/// <summary>Who performs an operation, as the transparency log records it.</summary>
public enum ActorKind
{
    /// <summary>Inside the platform with no caller: background rewrap, checkpoint publishing, pruning.</summary>
    System,

    /// <summary>A request signed with one of the account's shared keys (Id: <c>key1</c> or <c>key2</c>).</summary>
    SharedKey,

    /// <summary>A shared access signature (Id: an HMAC of the signature, never the token). Issue 8.</summary>
    SharedAccessSignature,

    /// <summary>A bearer token issued by the token endpoint (Id: the client id; Grant: an HMAC of the token).</summary>
    BearerToken,

    /// <summary>A command run on the host with access to the data directory (CLI, control socket). Id: the OS user.</summary>
    Host,

    /// <summary>A named platform operator signed in to the management plane (issue 6); Grant names the lockbox grant used on the data plane.</summary>
    Operator,

    /// <summary>A request that presented no valid credentials (authentication failures).</summary>
    Anonymous,

    /// <summary>A tenant administrator signed in to the management plane (issue 6). Id: <c>account/name</c>.</summary>
    TenantAdmin,
}

/// <summary>The actor of an operation. <see cref="Grant"/> names the grant or approval that allowed it, when one did.</summary>
public sealed record Actor(ActorKind Kind, string Id, string? Grant = null)
{
    public static Actor System { get; } = new(ActorKind.System, "strongroom");

    public static Actor Anonymous { get; } = new(ActorKind.Anonymous, "anonymous");
}

/// <summary>
/// The request an operation belongs to: who asked, under which request id, from where. The
/// protocol layer (or the CLI, or a background task) opens one with <see cref="Begin"/> for the
/// duration of an operation; services read <see cref="Current"/> to attribute the transparency log
/// entries they record. It flows with the async call chain the way <c>Activity.Current</c> does,
/// so it needs no parameter on every service method; the entries themselves are recorded
/// explicitly by each service where it commits.
/// </summary>
/// <remarks>
/// <see cref="Justification"/> is why the actor may act at all, when someone had to approve it: a
/// lockbox grant's justification, which every entry recorded under the grant carries.
/// </remarks>
public sealed record OperationContext(Actor Actor, string? RequestId = null, string? ClientAddress = null, string? Justification = null)
{
    // A mutable holder, so an actor set by an awaited callee (authentication) is seen by its caller:
    // values assigned to an AsyncLocal inside an async method do not flow back out of it.
    private static readonly AsyncLocal<Holder?> Ambient = new();

    /// <summary>Used when no context is open: attributed to the platform itself.</summary>
    public static OperationContext SystemContext { get; } = new(Actor.System);

    /// <summary>The open context, or <see cref="SystemContext"/> when none is open.</summary>
    public static OperationContext Current => Ambient.Value?.Context ?? SystemContext;

    /// <summary>True when a caller opened a context (false: the operation is attributed to the system).</summary>
    public static bool IsOpen => Ambient.Value is not null;

    /// <summary>Makes <paramref name="context"/> current until the returned scope is disposed.</summary>
    public static IDisposable Begin(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var previous = Ambient.Value;
        Ambient.Value = new Holder(context);
        return new Scope(previous);
    }

    /// <summary>Replaces the actor of the open context (the protocol layer learns it after authentication); a justification goes with the actor it belonged to.</summary>
    public static void SetActor(Actor actor) => SetActor(actor, null);

    /// <summary>Replaces the actor of the open context and the justification its entries carry (a lockbox grant's; null: none).</summary>
    public static void SetActor(Actor actor, string? justification)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var holder = Ambient.Value;
        Invariant.True(holder is not null, "an actor is set only inside an open operation context");
        holder!.Context = holder.Context with { Actor = actor, Justification = justification };
    }

    private sealed class Holder(OperationContext context)
    {
        public OperationContext Context { get; set; } = context;
    }

    private sealed class Scope(Holder? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>An account's choice of which data-plane operations reach its transparency log.</summary>
public enum DataPlaneLogging
{
    /// <summary>No data-plane operations (deletions are still logged: they always are).</summary>
    None = 0,

    /// <summary>Every create, write and delete (the default).</summary>
    Writes = 1,

    /// <summary>Writes and reads (reads are recorded before data is returned).</summary>
    All = 2,
}
