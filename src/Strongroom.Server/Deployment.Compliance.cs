using Strongroom.Compliance;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Storage;

namespace Strongroom.Server;

// The compliance report's evidence (issue 10): every fact read from this live deployment, one
// snapshot, judged by Strongroom.Compliance's pure checklist.
public sealed partial class Deployment
{
    /// <summary>
    /// Reads the evidence of <see cref="ComplianceChecklist"/>: the live servers' endpoints, sites,
    /// seal, principals, sign-in limits, accounts with a scan of every copy, grants, transfers,
    /// destructions with each certificate verified, and the logs — each verified now by
    /// <paramref name="verifyLog"/> (the CLI passes the verifier `strongroom audit verify` runs). No
    /// key, token or seed is read into it.
    /// </summary>
    public async Task<ComplianceEvidence> CollectComplianceEvidenceAsync(Func<string, CancellationToken, Task<LogEvidence>> verifyLog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verifyLog);
        var now = Time.GetUtcNow();
        var vault = DeploymentVault.Of(VaultFiles);
        var identities = (IIdentityStore)Store;
        var scans = (IComplianceScanStore)Store;

        var instances = await ((IDeploymentStore)Store).ListInstancesAsync(cancellationToken).ConfigureAwait(false);
        var servers = instances
            .Where(instance => instance.IsAliveAt(now))
            .Select(instance => new ServerEvidence(instance.Id, instance.HostName, instance.DataEndpoints, instance.ManagementEndpoint))
            .ToList();

        var backends = Sites.Topology.Sites.ToDictionary(site => site.Descriptor.Id, site => site.Backend, StringComparer.Ordinal);
        var sites = Sites.Sites.Select(site => new SiteEvidence(
            site.Id,
            site.Region,
            site.Zone,
            site.Jurisdiction,
            site.State.ToString().ToLowerInvariant(),
            site.Backend == SiteBackendKind.AzureBlob ? "azure-blob" : "directory",
            backends.TryGetValue(site.Id, out var backend) && backend is Strongroom.Placement.AzureBlobBackendOptions remote ? remote.Endpoint.Scheme : null)).ToList();
        var jurisdictions = sites.ToDictionary(site => site.Id, site => site.Jurisdiction, StringComparer.Ordinal);

        var accounts = await Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        var principals = new List<PrincipalEvidence>();
        foreach (var principal in await identities.ListPrincipalsAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, cancellationToken).ConfigureAwait(false))
        {
            principals.Add(PrincipalOf(principal));
        }

        var copies = (await scans.CountCopiesAsync(cancellationToken).ConfigureAwait(false)).ToLookup(copy => copy.Account, StringComparer.Ordinal);
        var objects = (await scans.CountObjectsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(count => count.Account, StringComparer.Ordinal);
        var accountEvidence = new List<AccountEvidence>();
        var grants = new List<GrantEvidence>();
        var transfers = new List<TransferEvidence>();
        var destructions = new List<DestructionEvidence>();
        var logs = new List<LogEvidence> { await verifyLog(AuditLogs.Platform, cancellationToken).ConfigureAwait(false) };
        foreach (var account in accounts)
        {
            foreach (var admin in await identities.ListPrincipalsAsync(PrincipalKind.TenantAdmin, account.Name, cancellationToken).ConfigureAwait(false))
            {
                principals.Add(PrincipalOf(admin));
            }

            var policy = Placement.Resolve(account);
            objects.TryGetValue(account.Name, out var counts);
            accountEvidence.Add(new AccountEvidence
            {
                Name = account.Name,
                State = account.State.ToString().ToLowerInvariant(),
                CipherSuite = CipherSuites.Name(account.CipherSuite),
                KeyEncryptionKeyPresent = account.WrappedKeyEncryptionKey.Length > 0,
                Residency = policy.Residency,
                RedundancyCopies = policy.Redundancy.Copies,
                AuditRetentionDays = account.AuditRetentionDays,
                Objects = counts?.Objects ?? 0,
                ObjectsWithoutWrappedKey = counts?.WithoutWrappedKey ?? 0,
                ObjectsWithOneCopy = counts?.WithOneCopy ?? 0,
                Copies = copies[account.Name].Select(copy => new CopyEvidence(copy.SiteId, JurisdictionOf(copy.SiteId), copy.State.ToString().ToLowerInvariant(), copy.TransferId, copy.Count)).ToList(),
            });

            foreach (var request in await ((ILockboxStore)Store).ListLockboxRequestsAsync(account.Name, null, null, Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false))
            {
                grants.Add(new GrantEvidence(request.Id, request.Account, AccessNames.StateName(request.State), request.Requester, request.TenantApprover, request.SecurityApprover));
            }

            foreach (var transfer in await ((ITransferStore)Store).ListTransfersAsync(account.Name, null, Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false))
            {
                transfers.Add(new TransferEvidence(
                    transfer.Id,
                    transfer.Account,
                    transfer.DestinationSiteId,
                    JurisdictionOf(transfer.DestinationSiteId),
                    AccessNames.LegalBasisName(transfer.LegalBasis),
                    AccessNames.StateName(transfer.State),
                    transfer.TenantApprover,
                    transfer.SecurityApprover));
            }

            destructions.AddRange(await DestructionEvidenceOfAsync(account.Name, cancellationToken).ConfigureAwait(false));
            logs.Add(await verifyLog(account.Name, cancellationToken).ConfigureAwait(false));
        }

        string JurisdictionOf(string siteId) => jurisdictions.TryGetValue(siteId, out var jurisdiction) ? jurisdiction : "unknown site";

        return new ComplianceEvidence
        {
            DeploymentId = Audit.DeploymentId,
            CollectedOn = now,
            Development = vault.IsDevelopment,
            Servers = servers,
            TlsProtocols = StrongroomServer.TlsProtocolNames,
            Sites = sites,
            Seal = vault.Seal is { } seal ? new SealEvidence(true, seal.Shares, seal.Threshold) : new SealEvidence(false, 0, 0),
            Principals = principals,
            SignIn = new SignInEvidence(
                Limits.PasswordCharsMin,
                PasswordClassesMin: 3,
                Limits.LoginFailuresMax,
                Limits.LoginLockout,
                Limits.SessionIdleTimeout,
                Limits.SessionLifetimeMax),
            PlatformLogRetentionDays = Limits.AuditRetentionDaysDefault,
            Logs = logs,
            Accounts = accountEvidence,
            Grants = grants,
            Transfers = transfers,
            Destructions = destructions,
        };
    }

    private static PrincipalEvidence PrincipalOf(PrincipalRecord principal) => new(
        principal.Kind == PrincipalKind.Operator ? "operator" : "tenant-admin",
        principal.Id,
        principal.Role is { } role ? PrincipalIds.RoleName(role) : null,
        SecondFactors.Name(principal.SecondFactor),
        principal.Disabled);

    /// <summary>The account's destructions, each with its certificate revisions verified now (signature under the deployment's key, inclusion in the account's log).</summary>
    private async Task<IReadOnlyList<DestructionEvidence>> DestructionEvidenceOfAsync(string account, CancellationToken cancellationToken)
    {
        var records = await ((IDestructionStore)Store).ListDestructionsAsync(account, cancellationToken).ConfigureAwait(false);
        if (records.Count == 0)
        {
            return [];
        }

        var certificates = await Certificates.ListAsync(account, cancellationToken).ConfigureAwait(false);
        var key = Audit.VerifierKey(account);
        var evidence = new List<DestructionEvidence>();
        foreach (var destruction in records)
        {
            var issued = certificates.Where(certificate => certificate.DestructionId == destruction.Id).ToList();
            var verified = 0;
            string? failure = null;
            foreach (var certificate in issued)
            {
                var verification = CertificateVerifier.Verify(certificate.Document, certificate.Signature, key);
                if (verification.Valid)
                {
                    verified++;
                }
                else
                {
                    failure ??= $"revision {certificate.Revision}: {CertificateVerifier.Describe(verification)}";
                }
            }

            evidence.Add(new DestructionEvidence(
                destruction.Id,
                account,
                destruction.State == DestructionState.Complete ? "completed" : "sweeping",
                issued.Count,
                verified,
                failure));
        }

        return evidence;
    }
}
