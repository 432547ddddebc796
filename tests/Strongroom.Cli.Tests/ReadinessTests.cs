using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Issue 10: <see cref="ServerHealth"/>, the checks behind the management plane's <c>/readyz</c>,
/// one failing check at a time (sealed, a store that throws or hangs, sites down for an account's
/// write quorum), on a fake clock and a three-site region, no server.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-readiness-").FullName;
    private readonly FakeTimeProvider time = new(Start);
    private readonly SiteSet sites;
    private bool sealedVault;
    private Func<CancellationToken, Task<IReadOnlyList<AccountRecord>>> listAccounts;
    private List<AccountRecord> accounts = [];

    public ReadinessTests()
    {
        var definitions = new[] { ("east-1", "cn-east", "cn-east-1"), ("east-2", "cn-east", "cn-east-2"), ("east-3", "cn-east", "cn-east-3"), ("north-1", "cn-north", "cn-north-1") }
            .Select(site => new SiteDefinition(
                new SiteDescriptor(site.Item1, site.Item2, site.Item3, "CN", SiteBackendKind.LocalDirectory, SiteState.Active),
                new LocalDirectoryBackendOptions(Path.Combine(directory, site.Item1))))
            .ToList();
        var backends = definitions.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, Path.Combine(directory, site.Descriptor.Id)), StringComparer.Ordinal);
        sites = new SiteSet(new Topology(definitions), backends, time);
        listAccounts = _ => Task.FromResult<IReadOnlyList<AccountRecord>>(accounts);
    }

    public void Dispose()
    {
        sites.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(directory, recursive: true);
    }

    private ServerHealth Health() =>
        new(() => sealedVault, token => listAccounts(token), sites, account => account.Placement ?? Placer.DefaultPolicy(sites.Sites), time);

    private static AccountRecord Account(string name, string redundancy, string region = "cn-east", AccountState state = AccountState.Enabled) =>
        new(name, [1], [2], [3], Start, state) { Placement = new PlacementPolicy(["CN"], region, null, Redundancy.Parse(redundancy)) };

    private void Down(params string[] siteIds)
    {
        foreach (var siteId in siteIds)
        {
            sites.ReportFailure(siteId, new IOException("down"));
        }
    }

    [Fact]
    public async Task Unsealed_with_a_store_that_answers_and_every_quorum_reachable_is_ready()
    {
        accounts = [Account("lrs", "LRS"), Account("single", "custom:copies=1,zones=1,regions=1,sync", region: "cn-north")];

        var report = await Health().CheckAsync();

        Assert.True(report.Ready, Describe(report));
        Assert.Equal([HealthCheck.Seal, HealthCheck.Metadata, HealthCheck.Sites], report.Checks.Select(check => check.Name));
        Assert.Contains("every enabled account (2)", report.Checks[2].Reason, StringComparison.Ordinal);
        Assert.Contains("4 of 4 active sites up here", report.Checks[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sealed_vault_fails_the_seal_check_alone()
    {
        sealedVault = true;
        accounts = [Account("lrs", "LRS")];

        var report = await Health().CheckAsync();

        Assert.False(report.Ready);
        var seal = report.Checks.Single(check => check.Name == HealthCheck.Seal);
        Assert.False(seal.Ok);
        Assert.Contains("sealed", seal.Reason, StringComparison.Ordinal);
        Assert.All(report.Checks.Where(check => check.Name != HealthCheck.Seal), check => Assert.True(check.Ok, check.Reason));
    }

    [Fact]
    public async Task A_store_that_throws_fails_the_metadata_check_without_its_message_and_leaves_sites_unchecked()
    {
        listAccounts = _ => Task.FromException<IReadOnlyList<AccountRecord>>(new InvalidOperationException("Host=db.internal;Password=hunter2 refused"));

        var report = await Health().CheckAsync();

        Assert.False(report.Ready);
        var metadata = report.Checks.Single(check => check.Name == HealthCheck.Metadata);
        Assert.False(metadata.Ok);
        Assert.Contains("InvalidOperationException", metadata.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", Describe(report), StringComparison.Ordinal);
        Assert.DoesNotContain("db.internal", Describe(report), StringComparison.Ordinal);
        var siteCheck = report.Checks.Single(check => check.Name == HealthCheck.Sites);
        Assert.False(siteCheck.Ok);
        Assert.StartsWith("not checked", siteCheck.Reason, StringComparison.Ordinal);
        Assert.True(report.Checks.Single(check => check.Name == HealthCheck.Seal).Ok);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_fails_at_the_timeout_on_the_injected_clock()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hanging = new TaskCompletionSource<IReadOnlyList<AccountRecord>>(TaskCreationOptions.RunContinuationsAsynchronously);
        listAccounts = token =>
        {
            token.Register(() => cancelled.TrySetResult());
            return hanging.Task;
        };

        var checking = Health().CheckAsync();
        time.Advance(Limits.ReadinessStoreTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(checking.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var report = await checking.WaitAsync(TimeSpan.FromSeconds(30));

        var metadata = report.Checks.Single(check => check.Name == HealthCheck.Metadata);
        Assert.False(metadata.Ok);
        Assert.Contains("did not answer within 2 s", metadata.Reason, StringComparison.Ordinal);
        Assert.False(report.Ready);

        // The query was asked to stop; its late failure is observed, not left unobserved.
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        hanging.SetException(new TimeoutException("late"));
    }

    [Fact]
    public async Task Sites_down_below_an_accounts_write_quorum_fail_the_sites_check_naming_the_account()
    {
        accounts =
        [
            Account("lrs", "LRS"),
            Account("north", "custom:copies=1,zones=1,regions=1,sync", region: "cn-north"),
            Account("closed", "LRS", state: AccountState.Closed),
        ];

        // One of three down: LRS still has its quorum of two.
        Down("east-1");
        Assert.True((await Health().CheckAsync()).Ready);

        // Two of three down: LRS cannot write; the cn-north account can; the closed one is not looked at.
        Down("east-2");
        var report = await Health().CheckAsync();

        Assert.False(report.Ready);
        var siteCheck = report.Checks.Single(check => check.Name == HealthCheck.Sites);
        Assert.False(siteCheck.Ok);
        Assert.Equal(1, siteCheck.AccountsFailing);
        var shortfall = Assert.Single(siteCheck.Accounts);
        Assert.Equal("lrs", shortfall.Account);
        Assert.Contains("1 of 3 synchronous sites up in cn-east", shortfall.Reason, StringComparison.Ordinal);
        Assert.Contains("east-1", shortfall.Reason, StringComparison.Ordinal);
        Assert.Contains("east-2", shortfall.Reason, StringComparison.Ordinal);
        Assert.Contains("LRS needs 2", shortfall.Reason, StringComparison.Ordinal);
        Assert.Contains("1 of 2 enabled accounts", siteCheck.Reason, StringComparison.Ordinal);
        Assert.All(report.Checks.Where(check => check.Name != HealthCheck.Sites), check => Assert.True(check.Ok, check.Reason));

        // A site back: ready again.
        sites.ReportSuccess("east-2");
        Assert.True((await Health().CheckAsync()).Ready);
    }

    [Fact]
    public async Task Drained_sites_count_as_unavailable_and_a_policy_without_active_sites_says_why()
    {
        accounts = [Account("north", "custom:copies=1,zones=1,regions=1,sync", region: "cn-north")];
        sites.ApplyStates(new Dictionary<string, SiteState> { ["north-1"] = SiteState.Draining });

        var report = await Health().CheckAsync();

        var siteCheck = report.Checks.Single(check => check.Name == HealthCheck.Sites);
        Assert.False(siteCheck.Ok);
        Assert.Contains("cn-north", Assert.Single(siteCheck.Accounts).Reason, StringComparison.Ordinal);
        Assert.Contains("3 of 3 active sites up here", siteCheck.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_listing_of_failing_accounts_is_bounded_but_the_count_is_not()
    {
        accounts = [.. Enumerable.Range(0, Limits.ReadinessAccountsListedMax + 5).Select(i => Account($"a{i:000}", "LRS"))];
        Down("east-1", "east-2", "east-3");

        var siteCheck = (await Health().CheckAsync()).Checks.Single(check => check.Name == HealthCheck.Sites);

        Assert.Equal(Limits.ReadinessAccountsListedMax + 5, siteCheck.AccountsFailing);
        Assert.Equal(Limits.ReadinessAccountsListedMax, siteCheck.Accounts.Count);
        Assert.Equal("a000", siteCheck.Accounts[0].Account);
    }

    [Fact]
    public void The_write_quorum_shortfall_is_the_plan_a_write_makes()
    {
        var descriptors = sites.Sites;
        var lrs = new PlacementPolicy(["CN"], "cn-east", null, Redundancy.Lrs);
        Assert.Null(Placer.WriteQuorumShortfall(descriptors, _ => true, lrs, Redundancy.Lrs));
        Assert.Null(Placer.WriteQuorumShortfall(descriptors, id => id != "east-3", lrs, Redundancy.Lrs));
        Assert.NotNull(Placer.WriteQuorumShortfall(descriptors, id => id == "east-3", lrs, Redundancy.Lrs));

        // Outside the residency nothing is eligible: the placer's own explanation.
        var eu = new PlacementPolicy(["EU"], "cn-east", null, Redundancy.Lrs);
        Assert.Contains("outside the residency", Placer.WriteQuorumShortfall(descriptors, _ => true, eu, Redundancy.Lrs), StringComparison.Ordinal);
    }

    private static string Describe(ReadinessReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            report.WriteMembers(json);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>
/// Issue 10: <c>/healthz</c> and <c>/readyz</c> on a real in-process server's management listener:
/// anonymous, GET and HEAD only, never cached, the JSON body; absent from the data listener, where
/// the platform's <c>/.strongroom/health/*</c> keep answering.
/// </summary>
public sealed class OperationsEndpointsTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-operations-").FullName;
    private readonly CancellationTokenSource stop = new();
    private StrongroomServer server = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        server = await StrongroomServer.StartAsync(
            new ServerOptions { DataDirectory = directory, Dev = true, Port = 0, ControlCommands = Cli.RunInServerAsync },
            stop.Token);
        http = new HttpClient { BaseAddress = server.ManagementEndpoint };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await stop.CancelAsync();
        await server.DisposeAsync();
        stop.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Healthz_and_readyz_answer_anonymously_with_json_that_is_never_cached()
    {
        using var live = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("no-store", live.Headers.CacheControl?.ToString());
        Assert.Equal("""{"status":"live"}""", await live.Content.ReadAsStringAsync());

        using var ready = await http.GetAsync("readyz");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("no-store", ready.Headers.CacheControl?.ToString());
        Assert.Equal("application/json", ready.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(
            ["seal:ok", "metadata:ok", "sites:ok"],
            json.RootElement.GetProperty("checks").EnumerateArray().Select(check => $"{check.GetProperty("name").GetString()}:{check.GetProperty("status").GetString()}"));
    }

    [Fact]
    public async Task Head_answers_the_status_without_a_body_and_other_methods_get_405()
    {
        foreach (var path in new[] { "healthz", "readyz" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());

            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
            {
                using var refused = await http.SendAsync(new HttpRequestMessage(method, path));
                Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
                Assert.Equal(["GET", "HEAD"], refused.Content.Headers.Allow.Order());
            }
        }
    }

    [Fact]
    public async Task Readyz_turns_503_while_sealed_and_while_a_needed_site_is_down_and_names_what_failed()
    {
        var deployment = server.Deployment;

        // The development account's default policy needs its cn-east sites: two of three down.
        deployment.Sites.ReportFailure("cn-east-1a", new IOException("down"));
        deployment.Sites.ReportFailure("cn-east-2a", new IOException("down"));
        using (var down = await http.GetAsync("readyz"))
        {
            var body = await down.Content.ReadAsStringAsync();
            Assert.True(down.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("not ready", json.RootElement.GetProperty("status").GetString());
            var sites = json.RootElement.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == "sites");
            Assert.Equal("failed", sites.GetProperty("status").GetString());
            Assert.Equal(DevelopmentStorage.AccountName, sites.GetProperty("accounts")[0].GetProperty("account").GetString());
        }

        deployment.Sites.ReportSuccess("cn-east-1a");
        deployment.Sites.ReportSuccess("cn-east-2a");
        Assert.True(await deployment.SealAsync());
        using (var sealedAnswer = await http.GetAsync("readyz"))
        {
            var body = await sealedAnswer.Content.ReadAsStringAsync();
            Assert.True(sealedAnswer.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            Assert.Contains("\"name\":\"seal\",\"status\":\"failed\"", body, StringComparison.Ordinal);
        }

        // Alive all along; the data plane's readiness agrees on the seal.
        using var live = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var data = new HttpClient { BaseAddress = server.BlobEndpoint };
        using var dataReady = await data.GetAsync(".strongroom/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, dataReady.StatusCode);
    }

    [Fact]
    public async Task The_data_listener_does_not_answer_the_management_probes()
    {
        using var data = new HttpClient { BaseAddress = server.BlobEndpoint };
        using var healthz = await data.GetAsync("healthz");
        Assert.NotEqual(HttpStatusCode.OK, healthz.StatusCode);
        using var live = await data.GetAsync(".strongroom/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // And the management listener's API is untouched: a neighbouring path is still its 404.
        using var other = await http.GetAsync("readyz/extra");
        Assert.NotEqual(HttpStatusCode.OK, other.StatusCode);
    }
}
