using Azure.Storage.Blobs;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>One server per test class (xunit class fixture).</summary>
public class ServerFixture : IAsyncLifetime
{
    StrongroomProcess? _server;

    public StrongroomProcess Server => _server ?? throw new InvalidOperationException("The fixture is not initialised.");

    public virtual BlobServiceClient Service => new(Server.ConnectionString, Clients.Options());

    protected virtual string Label => GetType().Name;

    public virtual async Task InitializeAsync()
    {
        _server = await StrongroomProcess.StartNewAsync(Label);
    }

    protected void Adopt(StrongroomProcess server) => _server = server;

    public virtual async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public static class Clients
{
    /// <summary>
    /// Client options for conformance runs: no retries, so a failure surfaces as the server's first
    /// answer instead of being hidden (or delayed) by the SDK's retry policy.
    /// </summary>
    public static BlobClientOptions Options(int maxRetries = 0)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = maxRetries;
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(5);
        return options;
    }
}

/// <summary>Readable, reproducible resource names: a fixed stem plus a per-process counter.</summary>
public static class TestNames
{
    static int s_counter;

    /// <summary>A valid container name: lower-case stem, a dash and a counter (3–63 chars).</summary>
    public static string Container(string stem) =>
        $"{stem.ToLowerInvariant()}-{Interlocked.Increment(ref s_counter):D4}";

    public static string Blob(string stem) => $"{stem}-{Interlocked.Increment(ref s_counter):D4}";
}

/// <summary>
/// A server whose data directory also holds a second account, created with
/// <c>strongroom account create NAME --data DIR</c>. The server is stopped while the CLI runs and
/// started again afterwards, so the tests do not depend on the server noticing new accounts live.
/// </summary>
public sealed class SecondAccountFixture : ServerFixture
{
    public const string SecondAccountName = "tenantb";

    public string SecondKey1 { get; private set; } = string.Empty;

    public string SecondKey2 { get; private set; } = string.Empty;

    public CliResult? CreateOutput { get; private set; }

    public BlobServiceClient SecondService => new(Server.ConnectionStringFor(SecondAccountName, SecondKey1), Clients.Options());

    public override async Task InitializeAsync()
    {
        var server = StrongroomProcess.CreateStopped(Label);
        Adopt(server);

        // The first start initialises the data directory (development vault, database).
        await server.StartAsync();
        await server.KillAsync();
        CreateOutput = await server.RunCliAsync("account", "create", SecondAccountName);
        (SecondKey1, SecondKey2) = AccountKeys.Parse(CreateOutput);
        await server.StartAsync();
    }
}

/// <summary>
/// A production server per test class: HTTPS with the certificate it generates, a sealed vault
/// initialised with <see cref="Shares"/> shares of threshold <see cref="Threshold"/> and unsealed
/// with the first <see cref="Threshold"/> of them, and one account, <see cref="AccountName"/>,
/// created with the CLI. <see cref="Service"/> trusts the generated certificate.
/// </summary>
public class ProductionServerFixture : ServerFixture
{
    public const string AccountName = "prodaccount";

    public string AccountKey { get; private set; } = string.Empty;

    public override BlobServiceClient Service => Server.ServiceClient(AccountName, AccountKey);

    protected virtual int Shares => 3;

    protected virtual int Threshold => 2;

    public override async Task InitializeAsync()
    {
        Adopt(await StrongroomProcess.StartProductionAsync(Label, Shares, Threshold));
        (AccountKey, _) = await Server.CreateAccountAsync(AccountName);
    }
}
