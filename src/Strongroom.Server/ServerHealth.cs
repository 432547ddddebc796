using System.Text.Json;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Server;

/// <summary>One readiness check: its name, whether it holds, and why (words an operator can act on; never a secret).</summary>
public sealed record HealthCheck(string Name, bool Ok, string Reason)
{
    /// <summary>The vault is unsealed.</summary>
    public const string Seal = "seal";

    /// <summary>The metadata store answers a real query in time.</summary>
    public const string Metadata = "metadata";

    /// <summary>Every enabled account's write quorum can be met by this server's up, active sites.</summary>
    public const string Sites = "sites";

    /// <summary>For <see cref="Sites"/>: how many accounts cannot reach their write quorum (all of them, listed or not).</summary>
    public int AccountsFailing { get; init; }

    /// <summary>For <see cref="Sites"/>: the first <see cref="Limits.ReadinessAccountsListedMax"/> of them, by name, with the reason.</summary>
    public IReadOnlyList<AccountShortfall> Accounts { get; init; } = [];
}

/// <summary>An account whose synchronous copies this server cannot write now, and why.</summary>
public sealed record AccountShortfall(string Account, string Reason);

/// <summary>Every readiness check, in a fixed order; ready when all hold.</summary>
public sealed record ReadinessReport(IReadOnlyList<HealthCheck> Checks)
{
    public bool Ready => Checks.All(check => check.Ok);

    /// <summary>The body of <c>/readyz</c>: <c>{"status":"ready"|"not ready","checks":[{"name","status":"ok"|"failed","reason",…}]}</c>.</summary>
    public void WriteMembers(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteString("status", Ready ? "ready" : "not ready");
        json.WriteStartArray("checks");
        foreach (var check in Checks)
        {
            json.WriteStartObject();
            json.WriteString("name", check.Name);
            json.WriteString("status", check.Ok ? "ok" : "failed");
            json.WriteString("reason", check.Reason);
            if (check.Name == HealthCheck.Sites && !check.Ok && check.AccountsFailing > 0)
            {
                json.WriteNumber("accounts_failing", check.AccountsFailing);
                json.WriteStartArray("accounts");
                foreach (var account in check.Accounts)
                {
                    json.WriteStartObject();
                    json.WriteString("account", account.Account);
                    json.WriteString("reason", account.Reason);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}

/// <summary>
/// Whether this server is alive and whether it is ready for traffic (issue 10): the facts behind
/// the management plane's <c>/healthz</c> and <c>/readyz</c> (<see cref="OperationsEndpoints"/>)
/// and the data plane's <c>/.strongroom/health/live|ready</c> (<see cref="PlatformEndpoints"/>).
/// Ready means unsealed, the metadata store answering a real query within
/// <see cref="Limits.ReadinessStoreTimeout"/>, and, for every enabled account, the write quorum of
/// its placement policy reachable on the sites this server sees up and active — decided by
/// <see cref="Placer.WriteQuorumShortfall"/>, the planner every write uses. Site health is this
/// process's view (a failure marks a site down, <see cref="SiteHealthProber"/> brings it back), so
/// no probe touches a site. Needs no key.
/// </summary>
public sealed class ServerHealth(
    Func<bool> isSealed,
    Func<CancellationToken, Task<IReadOnlyList<AccountRecord>>> listAccounts,
    SiteSet sites,
    Func<AccountRecord, PlacementPolicy> resolvePolicy,
    TimeProvider time)
{
    /// <summary>The body of a liveness answer: the process runs and serves HTTP; nothing else is looked at.</summary>
    public const string LiveStatus = "live";

    /// <summary>The health of a deployment's own server.</summary>
    public static ServerHealth Of(Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return new(() => deployment.Vault.IsSealed, token => deployment.Store.ListAccountsAsync(token), deployment.Sites, deployment.Placement.Resolve, deployment.Time);
    }

    /// <summary>The seal check alone (what the data plane's <c>health/ready</c> answers).</summary>
    public HealthCheck CheckSeal() =>
        isSealed()
            ? new HealthCheck(HealthCheck.Seal, false, "the vault is sealed: custodians unseal it with `strongroom unseal`; until then every data request answers 503.")
            : new HealthCheck(HealthCheck.Seal, true, "unsealed");

    /// <summary>Every check. Never throws for a failing store: that is a failed check.</summary>
    public async Task<ReadinessReport> CheckAsync(CancellationToken cancellationToken = default)
    {
        var seal = CheckSeal();
        var started = time.GetTimestamp();
        IReadOnlyList<AccountRecord>? accounts = null;
        HealthCheck metadata;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var query = listAccounts(timeout.Token);
            try
            {
                // WaitAsync bounds the wait even when the store does not honour cancellation.
                accounts = await query.WaitAsync(Limits.ReadinessStoreTimeout, time, cancellationToken).ConfigureAwait(false);
                var elapsed = time.GetElapsedTime(started);
                metadata = new HealthCheck(HealthCheck.Metadata, true, $"answered in {(long)elapsed.TotalMilliseconds} ms");
            }
            catch (TimeoutException)
            {
                await timeout.CancelAsync().ConfigureAwait(false);
                Observe(query);
                metadata = new HealthCheck(HealthCheck.Metadata, false, $"the metadata store did not answer within {Limits.ReadinessStoreTimeout.TotalSeconds:0.#} s.");
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The type only: a driver's message may name hosts or settings.
                metadata = new HealthCheck(HealthCheck.Metadata, false, $"the metadata store failed a query ({exception.GetType().Name}); see the server's log and the database.");
            }
        }

        var siteCheck = accounts is null
            ? new HealthCheck(HealthCheck.Sites, false, "not checked: the accounts could not be read from the metadata store.")
            : CheckSites(accounts);
        return new ReadinessReport([seal, metadata, siteCheck]);
    }

    /// <summary>For each enabled account, whether its write quorum can be met by the sites up here.</summary>
    public HealthCheck CheckSites(IReadOnlyList<AccountRecord> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var descriptors = sites.Sites;
        var enabled = accounts.Where(account => account.State == AccountState.Enabled).ToList();

        // Accounts share a handful of policies: each is planned once.
        var shortfalls = new Dictionary<PolicyKey, string?>();
        var failing = new List<AccountShortfall>();
        foreach (var account in enabled)
        {
            var policy = resolvePolicy(account);
            var key = new PolicyKey(string.Join(",", policy.Residency), policy.PrimaryRegion, policy.SecondaryRegion, policy.Redundancy.ToString());
            if (!shortfalls.TryGetValue(key, out var shortfall))
            {
                shortfall = Placer.WriteQuorumShortfall(descriptors, sites.IsUp, policy, policy.Redundancy);
                shortfalls[key] = shortfall;
            }

            if (shortfall is not null)
            {
                failing.Add(new AccountShortfall(account.Name, shortfall));
            }
        }

        var active = descriptors.Where(site => site.State == SiteState.Active).ToList();
        var up = active.Count(site => sites.IsUp(site.Id));
        var siteCount = $"{up} of {active.Count} active site{(active.Count == 1 ? string.Empty : "s")} up here";
        if (failing.Count == 0)
        {
            return new HealthCheck(HealthCheck.Sites, true, $"every enabled account ({enabled.Count}) can write its synchronous copies ({siteCount}).");
        }

        return new HealthCheck(HealthCheck.Sites, false, $"{failing.Count} of {enabled.Count} enabled account{(enabled.Count == 1 ? string.Empty : "s")} cannot write their synchronous copies ({siteCount}).")
        {
            AccountsFailing = failing.Count,
            Accounts = failing.OrderBy(account => account.Account, StringComparer.Ordinal).Take(Limits.ReadinessAccountsListedMax).ToList(),
        };
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static faulted => _ = faulted.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private readonly record struct PolicyKey(string Residency, string Primary, string? Secondary, string Redundancy);
}
