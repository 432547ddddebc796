using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The sealed vault end to end: real production processes (HTTPS, generated certificate) sealed at
/// start, unsealed by K of N shares through the CLI and the unseal endpoint, across restarts, and
/// never printing a share.
/// </summary>
public sealed class SealTests
{
    /// <summary>Why these tests do not run behind nginx.</summary>
    const string PerProcessReason = "the seal is per process (each server is unsealed on its own); the data plane's seal endpoints and readiness through a balancer answer for whichever server it picks, and restarts and share progress are one process's";

    static readonly BinaryData Content = BinaryData.FromString("sealed at rest, readable when unsealed");

    [Fact]
    public async Task Unseal_with_exactly_k_of_n_shares_across_restarts_and_refusals_leave_it_sealed()
    {
        if (!TestModes.OneServerOnly(PerProcessReason))
        {
            return;
        }

        await using var server = await StrongroomProcess.StartProductionAsync("seal-restarts", shares: 3, threshold: 2, unseal: false);
        await using var other = StrongroomProcess.CreateStopped("seal-other", production: true);
        await other.InitAsync(1, 1);
        using var http = server.CreateHttpClient();

        // Sealed: liveness yes, readiness no, the data plane 503 VaultSealed, nothing else.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(".strongroom/health/live")).StatusCode);
        await AssertSealedAsync(server, http, progress: 0);
        await AssertDataPlaneSealedAsync(server.ServiceClient("anyaccount", Convert.ToBase64String(new byte[64])));

        // K - 1 shares: still sealed. A duplicate is ignored and reported.
        var first = await PutUnsealAsync(http, new { key = server.Shares[0] });
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(1, first.Body.GetProperty("progress").GetInt32());
        var duplicate = await PutUnsealAsync(http, new { key = server.Shares[0] });
        Assert.True(duplicate.Body.GetProperty("duplicate_ignored").GetBoolean());
        Assert.Equal(1, duplicate.Body.GetProperty("progress").GetInt32());
        await AssertSealedAsync(server, http, progress: 1);

        // A share of another deployment, a mistyped one, and junk: 400 with a clear message, progress kept.
        var foreign = await PutUnsealAsync(http, new { key = other.Shares[0] });
        Assert.Equal(HttpStatusCode.BadRequest, foreign.Status);
        Assert.Contains("belongs to deployment", Error(foreign), StringComparison.Ordinal);
        var mistyped = await PutUnsealAsync(http, new { key = Mistype(server.Shares[1]) });
        Assert.Equal(HttpStatusCode.BadRequest, mistyped.Status);
        Assert.Contains("checksum", Error(mistyped), StringComparison.Ordinal);
        var cli = await server.UnsealAsync(other.Shares[0]);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("belongs to deployment", cli.StandardError, StringComparison.Ordinal);
        using (var junk = await http.PutAsync(".strongroom/sys/unseal", new StringContent("{not json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, junk.StatusCode);
        }

        await AssertSealedAsync(server, http, progress: 1);

        // The K-th share, through the CLI over HTTPS trusting the generated certificate.
        var unsealed = await server.RunCommandAsync(server.Shares[1] + "\n", "unseal", "--server", server.Endpoint.ToString(), "--ca-cert", server.CertificatePath);
        Assert.True(unsealed.ExitCode == 0, unsealed.ToString());
        Assert.Contains("Unsealed", unsealed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(".strongroom/health/ready")).StatusCode);

        var (key, _) = await server.CreateAccountAsync("sealtenant");
        var service = server.ServiceClient("sealtenant", key);
        var container = service.GetBlobContainerClient(TestNames.Container("sealed"));
        await container.CreateAsync();
        await container.GetBlobClient("kept").UploadAsync(Content);

        // A restart is sealed again; another K-subset unseals it and the data reads back.
        await server.RestartAsync();
        using var afterRestart = server.CreateHttpClient();
        await AssertSealedAsync(server, afterRestart, progress: 0);
        service = server.ServiceClient("sealtenant", key);
        await AssertDataPlaneSealedAsync(service);
        Assert.Equal(1, (await server.UnsealAsync(Mistype(server.Shares[2]))).ExitCode);
        await server.UnsealWithAsync([server.Shares[2], server.Shares[1]]);
        Assert.Equal(Content.ToString(), (await service.GetBlobContainerClient(container.Name).GetBlobClient("kept").DownloadContentAsync()).Value.Content.ToString());

        AssertNoShareIn(server.Output, [.. server.Shares, .. other.Shares]);
        AssertNoShareIn(other.Output, [.. server.Shares, .. other.Shares]);
    }

    [Fact]
    public async Task Seal_makes_the_data_plane_answer_503_and_readiness_report_sealed()
    {
        if (!TestModes.OneServerOnly(PerProcessReason))
        {
            return;
        }

        await using var server = await StrongroomProcess.StartProductionAsync("seal-command", shares: 2, threshold: 1);
        var (key, _) = await server.CreateAccountAsync("sealme");
        var service = server.ServiceClient("sealme", key);
        var container = service.GetBlobContainerClient(TestNames.Container("sealme"));
        await container.CreateAsync();
        await container.GetBlobClient("kept").UploadAsync(Content);
        using var http = server.CreateHttpClient();

        var seal = await server.RunCliAsync("seal");

        Assert.True(seal.ExitCode == 0, seal.ToString());
        await AssertDataPlaneSealedAsync(service);
        await AssertSealedAsync(server, http, progress: 0);
        var listing = await server.RunCliAsync("account", "list");
        Assert.Equal(1, listing.ExitCode);
        Assert.Contains("sealed", listing.StandardError, StringComparison.Ordinal);

        await server.UnsealWithAsync([server.Shares[1]]);
        Assert.Equal(Content.ToString(), (await container.GetBlobClient("kept").DownloadContentAsync()).Value.Content.ToString());
        AssertNoShareIn(server.Output, server.Shares);
    }

    [Fact]
    public async Task Rekey_issues_new_shares_the_old_ones_stop_working_and_data_stays_readable()
    {
        if (!TestModes.OneServerOnly(PerProcessReason))
        {
            return;
        }

        await using var server = await StrongroomProcess.StartProductionAsync("seal-rekey", shares: 3, threshold: 2);
        var (key, _) = await server.CreateAccountAsync("rekeyed");
        var service = server.ServiceClient("rekeyed", key);
        var container = service.GetBlobContainerClient(TestNames.Container("rekey"));
        await container.CreateAsync();
        await container.GetBlobClient("kept").UploadAsync(Content);
        var old = server.Shares;

        // Through the running server (control socket), K current shares on stdin.
        var wrong = await server.RunCliWithInputAsync(old[0] + "\n" + Mistype(old[1]) + "\n", "rekey", "--shares", "2", "--threshold", "2", "--share-dir", server.ShareDirectory);
        Assert.Equal(1, wrong.ExitCode);
        var rekey = await server.RunCliWithInputAsync(old[2] + "\n" + old[0] + "\n", "rekey", "--shares", "2", "--threshold", "2", "--share-dir", server.ShareDirectory);
        Assert.True(rekey.ExitCode == 0, rekey.ToString());
        var fresh = server.ReadShareFiles(2);
        Assert.Equal(2, fresh.Count);
        AssertNoShareIn(rekey.StandardOutput + rekey.StandardError, [.. old, .. fresh]);

        // Rekeying does not seal a running server.
        Assert.Equal(Content.ToString(), (await container.GetBlobClient("kept").DownloadContentAsync()).Value.Content.ToString());

        await server.RestartAsync();
        var stale = await server.UnsealAsync(old[0]);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("before a rekey", stale.StandardError, StringComparison.Ordinal);
        await server.UnsealWithAsync(fresh);
        service = server.ServiceClient("rekeyed", key);
        Assert.Equal(Content.ToString(), (await service.GetBlobContainerClient(container.Name).GetBlobClient("kept").DownloadContentAsync()).Value.Content.ToString());
        AssertNoShareIn(server.Output, [.. old, .. fresh]);
    }

    [Fact]
    public async Task Dev_unseals_itself_and_says_so_at_every_start()
    {
        if (!TestModes.OneServerOnly(PerProcessReason))
        {
            return;
        }

        await using var server = await StrongroomProcess.StartNewAsync("seal-dev");
        await server.RestartAsync();

        Assert.Equal(2, server.Output.Split('\n').Count(line => line.Contains("WARNING: development vault: it unsealed itself", StringComparison.Ordinal)));
        var status = await server.RunCliAsync("status", "--json");
        using var json = JsonDocument.Parse(status.StandardOutput);
        Assert.False(json.RootElement.GetProperty("sealed").GetBoolean());
        Assert.True(json.RootElement.GetProperty("development").GetBoolean());
        var share = server.DevelopmentShare();
        Assert.NotNull(share);
        AssertNoShareIn(server.Output, [share]);
    }

    static async Task AssertSealedAsync(StrongroomProcess server, HttpClient http, int progress)
    {
        using var ready = await http.GetAsync(".strongroom/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("sealed", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        var status = await http.GetFromJsonAsync<JsonElement>(".strongroom/sys/seal-status");
        Assert.True(status.GetProperty("initialized").GetBoolean());
        Assert.True(status.GetProperty("sealed").GetBoolean());
        Assert.Equal(progress, status.GetProperty("progress").GetInt32());
        Assert.Equal(server.Shares.Count, status.GetProperty("n").GetInt32());

        var cli = await server.RunCliAsync("status");
        Assert.Contains("Sealed:         yes", cli.StandardOutput, StringComparison.Ordinal);
    }

    static async Task AssertDataPlaneSealedAsync(BlobServiceClient service)
    {
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetPropertiesAsync());
        Assert.Equal(503, exception.Status);
        Assert.Equal("VaultSealed", exception.ErrorCode);
        var container = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetBlobContainerClient("anything").GetBlobClient("x").DownloadContentAsync());
        Assert.Equal(503, container.Status);
    }

    static async Task<(HttpStatusCode Status, JsonElement Body)> PutUnsealAsync(HttpClient http, object body)
    {
        using var response = await http.PutAsJsonAsync(".strongroom/sys/unseal", body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    static string Error((HttpStatusCode Status, JsonElement Body) response) => response.Body.GetProperty("errors")[0].GetString()!;

    static string Mistype(string share)
    {
        var position = share.Length - 4;
        return share[..position] + (share[position] == 'a' ? 'b' : 'a') + share[(position + 1)..];
    }

    static void AssertNoShareIn(string text, IEnumerable<string> shares)
    {
        foreach (var share in shares)
        {
            Assert.DoesNotContain(share, text, StringComparison.OrdinalIgnoreCase);

            // Nor a group of the value (the first groups carry only the version and deployment id).
            foreach (var group in share.Split('-').Skip(3))
            {
                Assert.DoesNotContain(group, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
