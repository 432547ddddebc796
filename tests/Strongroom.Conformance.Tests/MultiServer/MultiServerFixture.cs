using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>
/// Three production servers on one fresh PostgreSQL database and one topology (HTTPS, one vault
/// initialised once with 3 shares of threshold 2, each server unsealed on its own with its own
/// pair), and the account <see cref="AccountName"/>. Null <see cref="Deployment"/> when PostgreSQL
/// is not configured and not required (the tests then pass without running).
/// </summary>
public class MultiServerFixture : IAsyncLifetime
{
    public const string AccountName = "multiacct";

    public MultiServerDeployment? Deployment { get; private set; }

    protected virtual string Label => "multi";

    protected virtual bool Production => true;

    public async Task InitializeAsync()
    {
        if (!PostgresDatabase.Available())
        {
            return;
        }

        Deployment = Production
            ? await MultiServerDeployment.StartProductionAsync(Label, AccountName)
            : await MultiServerDeployment.StartDevelopmentAsync(Label);
    }

    public async Task DisposeAsync()
    {
        if (Deployment is not null)
        {
            await Deployment.DisposeAsync();
        }
    }
}

/// <summary>Three development servers (<c>--dev</c>: plain HTTP, the vault in the database unseals itself) on one fresh database.</summary>
public sealed class MultiServerDevelopmentFixture : MultiServerFixture
{
    protected override string Label => "multidev";

    protected override bool Production => false;
}
