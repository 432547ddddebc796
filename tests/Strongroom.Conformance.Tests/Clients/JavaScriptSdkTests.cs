using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// Runs tests/clients/js/scenario.mjs (@azure/storage-blob, the version test.sh installs) once
/// against a real server; each fact checks one group of its steps, so the areas fail apart.
/// </summary>
public sealed class JavaScriptSdkFixture : ServerFixture
{
    public ToolResult? Run { get; private set; }

    public Exception? Failure { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        try
        {
            var sdk = ClientTools.JsSdkDirectory();
            var node = ClientTools.Require("node", "Node.js");
            Run = await ClientTools.RunAsync(
                node,
                [ClientTools.JsScenarioPath],
                new Dictionary<string, string>
                {
                    ["STRONGROOM_JS_SDK_DIR"] = sdk,
                    ["STRONGROOM_CONNECTION_STRING"] = Server.ConnectionString,
                    ["STRONGROOM_SCENARIO_SEED"] = "8",
                },
                TimeSpan.FromMinutes(2));
        }
        catch (InvalidOperationException e)
        {
            // Reported by every fact rather than as a fixture failure, with the reason.
            Failure = e;
        }
    }

    /// <summary>The scenario's verdicts for one group: step name → null (passed) or the reason it failed.</summary>
    public IReadOnlyDictionary<string, string?> Steps(string group)
    {
        if (Failure is not null)
        {
            throw new InvalidOperationException(Failure.Message, Failure);
        }

        var steps = new Dictionary<string, string?>();
        foreach (var line in Run!.StandardOutput.Split('\n'))
        {
            if (line.StartsWith($"PASS {group}/", StringComparison.Ordinal))
            {
                steps[line[(6 + group.Length)..].TrimEnd()] = null;
            }
            else if (line.StartsWith($"FAIL {group}/", StringComparison.Ordinal))
            {
                var rest = line[(6 + group.Length)..];
                var colon = rest.IndexOf(": ", StringComparison.Ordinal);
                steps[colon < 0 ? rest : rest[..colon]] = colon < 0 ? "failed" : rest[(colon + 2)..].TrimEnd();
            }
        }

        return steps;
    }
}

public sealed class JavaScriptSdkTests(JavaScriptSdkFixture fixture) : IClassFixture<JavaScriptSdkFixture>
{
    [Fact]
    public void Containers_block_uploads_ranged_downloads_listings_and_metadata() =>
        AssertGroup("core", 12);

    [Fact]
    public void Service_and_account_sas_generated_by_the_sdk() =>
        AssertGroup("sas", 7);

    [Fact]
    public void Blob_and_container_leases() =>
        AssertGroup("leases", 5);

    [Fact]
    public void Append_blobs_with_conditions_and_seal() =>
        AssertGroup("append", 4);

    [Fact]
    public void Page_blobs_with_page_ranges_clears_and_sparse_reads() =>
        AssertGroup("page", 3);

    [Fact]
    public void Snapshots_blob_index_tags_and_find_blobs_by_tags() =>
        AssertGroup("tags", 2);

    [Fact]
    public void Set_blob_tier() =>
        AssertGroup("tier", 1);

    /// <summary>The only real-client Blob Batch test: the .NET batch package is not available here.</summary>
    [Fact]
    public void Blob_batch_set_tier_and_delete_through_BlobBatchClient() =>
        AssertGroup("batch", 2);

    [Fact]
    public void Service_properties_round_trip_and_account_information() =>
        AssertGroup("service", 2);

    void AssertGroup(string group, int expectedSteps)
    {
        var steps = fixture.Steps(group);
        var failed = steps.Where(step => step.Value is not null).Select(step => $"  {step.Key}: {step.Value}").ToList();
        Assert.True(
            steps.Count == expectedSteps && failed.Count == 0,
            $"JavaScript SDK scenario, group '{group}': {steps.Count - failed.Count} of {expectedSteps} steps passed.\n" +
            string.Join('\n', failed) + $"\n\n{fixture.Run}\n\nServer output:\n{Tail(fixture.Server.Output)}");
    }

    static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];
}
