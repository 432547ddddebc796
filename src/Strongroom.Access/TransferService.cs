using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Access;

/// <summary>What a transfer request names: the data, the destination outside the residency, the legal basis with its reference, and the purpose.</summary>
public sealed record TransferSpec(string Account, string Container, string? Prefix, string DestinationSiteId, TransferLegalBasis LegalBasis, string LegalReference, string Purpose);

/// <summary>
/// Cross-border transfers (PIPL art. 38–40, CSL art. 37): a copy outside an account's residency
/// only through a request that a tenant administrator and a security admin (neither the requester)
/// approved; then exactly the approved data (the blobs in scope when it runs) is copied to exactly
/// the approved site, each copy recorded in the account's log and shown in its locations.
/// </summary>
/// <remarks>
/// Who may do what: a system admin or a tenant administrator of the account requests; a tenant
/// administrator of the account and a security admin, neither of them the requester, approve
/// (both make it Approved) and either denies (final); a system admin runs it. A request not
/// decided within <see cref="AccessOptions.RequestPendingLifetime"/> expires. Tenant
/// administrators see their account's transfers only (another's answers TransferNotFound);
/// operators see all. Every transition is a compare-and-swap that commits with its entry in the
/// account's log (justification: the purpose; details: the legal basis and its reference).
/// </remarks>
public sealed partial class TransferService(IMetadataStore store, TransparencyLog audit, SiteSet sites, PlacementService placement, TimeProvider time, IRandomSource random, AccessOptions options)
{
    private readonly TransferCopier copier = new(store, sites, audit);

    private ITransferStore Transfers => (ITransferStore)store;

    /// <summary>A system admin or a tenant administrator of the account asks.</summary>
    public async Task<TransferRecord> RequestAsync(AuthenticatedPrincipal caller, TransferSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(spec);
        if (!caller.IsOperator(OperatorRole.SystemAdmin) && !caller.IsTenantAdminOf(spec.Account))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "A transfer is requested by a system admin or a tenant administrator of the account.");
        }

        Validate(spec);
        var account = await store.GetAccountAsync(spec.Account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);
        _ = await store.GetContainerAsync(spec.Account, spec.Container, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.ContainerNotFound);
        var destination = sites.Get(spec.DestinationSiteId).Descriptor;
        if (destination.State != SiteState.Active)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"Site {destination.Id} is {destination.State.ToString().ToLowerInvariant()}: it takes no new copies.");
        }

        var policy = placement.Resolve(account);
        if (policy.Allows(destination.Jurisdiction))
        {
            throw new StorageException(
                ErrorCode.InvalidAccessRequest,
                $"Site {destination.Id} is in {destination.Jurisdiction}, inside the account's residency ({string.Join(",", policy.Residency)}): copies there need no transfer.");
        }

        var now = time.GetUtcNow();
        var transfer = new TransferRecord(
            "tr-" + random.NewOpaqueId()[..16],
            spec.Account,
            spec.Container,
            spec.Prefix,
            destination.Id,
            spec.LegalBasis,
            spec.LegalReference,
            spec.Purpose,
            caller.Id,
            TransferState.Requested,
            now,
            now + options.RequestPendingLifetime,
            TenantApprover: null,
            TenantApprovedOn: null,
            SecurityApprover: null,
            SecurityApprovedOn: null,
            DecidedBy: null,
            DecidedOn: null,
            CompletedOn: null,
            ObjectsCopied: 0,
            BytesCopied: 0);
        using (As(caller))
        {
            await Transfers.CreateTransferAsync(transfer, Entry(transfer, AuditActions.TransferRequest), cancellationToken).ConfigureAwait(false);
        }

        return transfer;
    }

    /// <summary>One transfer: any operator, or a tenant administrator of its account (TransferNotFound for anyone else).</summary>
    public async Task<TransferRecord> GetAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var transfer = string.IsNullOrEmpty(id) ? null : await Transfers.GetTransferAsync(id, cancellationToken).ConfigureAwait(false);
        if (transfer is null || !CanSee(caller, transfer))
        {
            throw new StorageException(ErrorCode.TransferNotFound, $"No transfer '{id}'.");
        }

        return transfer;
    }

    /// <summary>Transfers visible to the caller (a tenant administrator sees its account's only), newest first, optionally of one account and state.</summary>
    public async Task<IReadOnlyList<TransferRecord>> ListAsync(AuthenticatedPrincipal caller, string? account, TransferState? state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind == PrincipalKind.TenantAdmin)
        {
            if (account is not null && !string.Equals(account, caller.Account, StringComparison.Ordinal))
            {
                return [];
            }

            account = caller.Account;
        }

        return await Transfers.ListTransfersAsync(account, state, Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A tenant administrator of the account, or a security admin, neither the requester, approves; both make it Approved.</summary>
    public Task<TransferRecord> ApproveAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        DecideAsync(caller, id, approve: true, reason: null, cancellationToken);

    /// <summary>Either approver denies (final).</summary>
    public Task<TransferRecord> DenyAsync(AuthenticatedPrincipal caller, string id, string? reason, CancellationToken cancellationToken = default) =>
        DecideAsync(caller, id, approve: false, reason, cancellationToken);

    /// <summary>
    /// A system admin runs an approved transfer: copies every blob in scope to the destination
    /// (resumable; Completed when none is left). Running a Completed transfer again changes
    /// nothing; any other state is TransferNotApproved.
    /// </summary>
    public async Task<TransferRecord> RunAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default)
    {
        var transfer = await GetAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (!caller.IsOperator(OperatorRole.SystemAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "A transfer is run by a system admin.");
        }

        transfer = await ExpireIfDueAsync(transfer, cancellationToken).ConfigureAwait(false);
        if (transfer.State == TransferState.Completed)
        {
            return transfer;
        }

        await RequireCurrentAccountAsync(transfer, cancellationToken).ConfigureAwait(false);
        var authorization = TransferAuthorization.Of(transfer);
        using (As(caller))
        {
            var result = await copier.RunAsync(authorization, cancellationToken).ConfigureAwait(false);
            for (var attempt = 0; attempt < Limits.AccessTransitionAttemptsMax; attempt++)
            {
                var updated = transfer with
                {
                    ObjectsCopied = transfer.ObjectsCopied + result.ObjectsCopied,
                    BytesCopied = transfer.BytesCopied + result.BytesCopied,
                };
                AuditAppend? entry = null;
                if (result.Complete)
                {
                    updated = updated with { State = TransferState.Completed, CompletedOn = time.GetUtcNow() };
                    entry = Entry(
                        updated,
                        AuditActions.TransferComplete,
                        [new("objectsCopied", Number(updated.ObjectsCopied)), new("bytesCopied", Number(updated.BytesCopied))]);
                }

                if (await Transfers.ReplaceTransferAsync(transfer, updated, entry, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    return stored;
                }

                transfer = await Transfers.GetTransferAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.TransferNotFound);
                if (transfer.State != TransferState.Approved)
                {
                    // Another run completed it meanwhile: its counts include what it copied.
                    return transfer;
                }
            }
        }

        throw Conflict(id);
    }

    /// <summary>Expires requests past their pending lifetime, each with its entry (actor: the system). Returns how many moved.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        var expired = 0;
        using (OperationContext.Begin(OperationContext.SystemContext))
        {
            while (true)
            {
                var due = await Transfers.ListTransfersPendingBeforeAsync(time.GetUtcNow(), Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false);
                var moved = 0;
                foreach (var transfer in due)
                {
                    if (await Transfers.ReplaceTransferAsync(transfer, Expired(transfer), Entry(Expired(transfer), AuditActions.TransferExpire), cancellationToken).ConfigureAwait(false) is not null)
                    {
                        moved++;
                    }
                }

                expired += moved;
                if (due.Count < Limits.AccessRequestsPageMax || moved == 0)
                {
                    return expired;
                }
            }
        }
    }

    /// <summary>
    /// Refuses a transfer whose account is disabled, or was deleted and created again since the
    /// request under the same name (another tenant, which inherits no approval).
    /// </summary>
    private async Task RequireCurrentAccountAsync(TransferRecord transfer, CancellationToken cancellationToken)
    {
        if (await store.GetAccountAsync(transfer.Account, cancellationToken).ConfigureAwait(false) is not { State: AccountState.Enabled } account
            || account.CreatedOn > transfer.RequestedOn)
        {
            throw new StorageException(ErrorCode.InvalidAccessState, $"Transfer {transfer.Id} was requested for an account '{transfer.Account}' that is disabled, or was deleted since: it can no longer be approved or run.");
        }
    }

    private async Task<TransferRecord> DecideAsync(AuthenticatedPrincipal caller, string id, bool approve, string? reason, CancellationToken cancellationToken)
    {
        var transfer = await GetAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (reason is { Length: > Limits.JustificationCharsMax })
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A reason is at most {Limits.JustificationCharsMax} characters.");
        }

        if (approve)
        {
            await RequireCurrentAccountAsync(transfer, cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; attempt < Limits.AccessTransitionAttemptsMax; attempt++)
        {
            if (string.Equals(caller.Id, transfer.Requester, StringComparison.Ordinal))
            {
                throw new StorageException(ErrorCode.SelfApprovalNotAllowed, "The requester of a transfer cannot approve or deny it.");
            }

            var tenantSide = caller.IsTenantAdminOf(transfer.Account);
            if (!tenantSide && !caller.IsOperator(OperatorRole.SecurityAdmin))
            {
                throw new StorageException(ErrorCode.RoleNotPermitted, "A transfer is decided by a tenant administrator of the account and a security admin.");
            }

            transfer = await ExpireIfDueAsync(transfer, cancellationToken).ConfigureAwait(false);
            if (transfer.State != TransferState.Requested)
            {
                throw new StorageException(ErrorCode.InvalidAccessState, $"Transfer {transfer.Id} is {AccessNames.StateName(transfer.State)}: it can no longer be decided.");
            }

            var now = time.GetUtcNow();
            TransferRecord updated;
            AuditAppend entry;
            using (As(caller))
            {
                if (approve)
                {
                    if ((tenantSide ? transfer.TenantApprover : transfer.SecurityApprover) is { } already)
                    {
                        throw new StorageException(ErrorCode.SelfApprovalNotAllowed, $"Transfer {transfer.Id} already has its {(tenantSide ? "tenant" : "security")} approval (by {already}); it needs the other one.");
                    }

                    updated = tenantSide
                        ? transfer with { TenantApprover = caller.Id, TenantApprovedOn = now }
                        : transfer with { SecurityApprover = caller.Id, SecurityApprovedOn = now };
                    if (updated.TenantApprover is not null && updated.SecurityApprover is not null)
                    {
                        updated = updated with { State = TransferState.Approved, DecidedBy = caller.Id, DecidedOn = now };
                    }

                    entry = Entry(updated, AuditActions.TransferApprove, [new("approval", tenantSide ? "tenant" : "security"), new("state", AccessNames.StateName(updated.State))]);
                }
                else
                {
                    updated = transfer with { State = TransferState.Denied, DecidedBy = caller.Id, DecidedOn = now };
                    entry = Entry(updated, AuditActions.TransferDeny, string.IsNullOrEmpty(reason) ? [] : [new("reason", reason)]);
                }
            }

            if (await Transfers.ReplaceTransferAsync(transfer, updated, entry, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return stored;
            }

            transfer = await Transfers.GetTransferAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.TransferNotFound);
        }

        throw Conflict(id);
    }

    /// <summary>A Requested transfer past its pending lifetime is expired now (with its entry) before anything else is decided about it.</summary>
    private async Task<TransferRecord> ExpireIfDueAsync(TransferRecord transfer, CancellationToken cancellationToken)
    {
        if (transfer.State != TransferState.Requested || time.GetUtcNow() < transfer.PendingExpiresOn)
        {
            return transfer;
        }

        using (OperationContext.Begin(OperationContext.Current with { Actor = Actor.System }))
        {
            var expired = Expired(transfer);
            return await Transfers.ReplaceTransferAsync(transfer, expired, Entry(expired, AuditActions.TransferExpire), cancellationToken).ConfigureAwait(false)
                ?? await Transfers.GetTransferAsync(transfer.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new StorageException(ErrorCode.TransferNotFound);
        }
    }

    private TransferRecord Expired(TransferRecord transfer) =>
        transfer with { State = TransferState.Expired, DecidedBy = Actor.System.Id, DecidedOn = time.GetUtcNow() };

    private static bool CanSee(AuthenticatedPrincipal caller, TransferRecord transfer) =>
        caller.Kind == PrincipalKind.Operator || caller.IsTenantAdminOf(transfer.Account);

    private static void Validate(TransferSpec spec)
    {
        static StorageException Invalid(string message) => new(ErrorCode.InvalidAccessRequest, message);

        if (string.IsNullOrEmpty(spec.Account) || string.IsNullOrEmpty(spec.Container))
        {
            throw Invalid("A transfer names an account and a container.");
        }

        if (spec.Prefix is { Length: 0 } || spec.Prefix is { Length: > Limits.BlobNameLengthMax })
        {
            throw Invalid($"A prefix is 1 to {Limits.BlobNameLengthMax} characters (or none, for the whole container).");
        }

        if (string.IsNullOrEmpty(spec.DestinationSiteId))
        {
            throw Invalid("A transfer names its destination site.");
        }

        if (!Enum.IsDefined(spec.LegalBasis))
        {
            throw Invalid("The legal basis is security-assessment, standard-contract or certification.");
        }

        if (string.IsNullOrWhiteSpace(spec.LegalReference) || spec.LegalReference.Length > Limits.JustificationCharsMax)
        {
            throw Invalid($"The legal basis needs its reference (1 to {Limits.JustificationCharsMax} characters): the assessment, contract filing or certificate number.");
        }

        if (string.IsNullOrWhiteSpace(spec.Purpose) || spec.Purpose.Length > Limits.JustificationCharsMax)
        {
            throw Invalid($"A transfer states its purpose (1 to {Limits.JustificationCharsMax} characters).");
        }
    }

    /// <summary>The transition's entry in the account's log: the data, the destination and its jurisdiction, the legal basis, the purpose as justification.</summary>
    private AuditAppend Entry(TransferRecord transfer, string action, IReadOnlyList<KeyValuePair<string, string>>? extra = null)
    {
        List<KeyValuePair<string, string>> details =
        [
            new("transferId", transfer.Id),
            new("destinationSite", transfer.DestinationSiteId),
            new("legalBasis", AccessNames.LegalBasisName(transfer.LegalBasis)),
            new("legalReference", transfer.LegalReference),
        ];
        if (transfer.Prefix is not null)
        {
            details.Add(new("prefix", transfer.Prefix));
        }

        details.AddRange(extra ?? []);
        var jurisdiction = sites.TryGet(transfer.DestinationSiteId, out var site) ? site.Descriptor.Jurisdiction : null;
        return audit.Entry(
            transfer.Account,
            action,
            $"/{transfer.Account}/{transfer.Container}",
            details: details,
            sites: [transfer.DestinationSiteId],
            justification: transfer.Purpose,
            jurisdictions: jurisdiction is null ? [] : [jurisdiction]);
    }

    /// <summary>Runs the caller's part under its actor (the management plane has set it already; a direct caller has not).</summary>
    private static IDisposable As(AuthenticatedPrincipal caller) =>
        OperationContext.Begin(OperationContext.Current with { Actor = caller.Actor });

    private static string Number(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static StorageException Conflict(string id) =>
        new(ErrorCode.InvalidAccessState, $"Transfer {id} kept changing while this call ran; try again.");
}
