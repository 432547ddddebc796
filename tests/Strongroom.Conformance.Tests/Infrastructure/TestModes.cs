using Npgsql;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// How the conformance suite runs its servers, from the environment (test.sh runs the suite once per
/// mode): the default (one process per fixture on its embedded SQLite file),
/// <c>STRONGROOM_TEST_METADATA=postgres</c> (each server on a fresh PostgreSQL database in
/// <c>STRONGROOM_TEST_POSTGRES</c>) and <c>STRONGROOM_TEST_FRONT=nginx</c> (two servers on one fresh
/// database, each with its own data directory and the first one's topology, behind nginx).
/// </summary>
public static class TestModes
{
    public const string MetadataVariable = "STRONGROOM_TEST_METADATA";
    public const string FrontVariable = "STRONGROOM_TEST_FRONT";
    public const string PostgresVariable = "STRONGROOM_TEST_POSTGRES";

    /// <summary>Two servers behind nginx (always on PostgreSQL: the servers share one deployment).</summary>
    public static bool Nginx { get; } = string.Equals(Environment.GetEnvironmentVariable(FrontVariable), "nginx", StringComparison.Ordinal);

    /// <summary>Servers keep their metadata in PostgreSQL.</summary>
    public static bool Postgres { get; } = Nginx || string.Equals(Environment.GetEnvironmentVariable(MetadataVariable), "postgres", StringComparison.Ordinal);

    /// <summary>The default mode: one process on its own data directory and SQLite file.</summary>
    public static bool Default => !Postgres;

    public static string Name => Nginx ? "nginx" : Postgres ? "postgres" : "default";

    /// <summary>
    /// For a test that only means something with one server process on its own SQLite file: true
    /// (run it) in the default mode; false in the other modes, where it returns early and passes
    /// (xunit 2 has no dynamic skip). <paramref name="reason"/> is the documented reason, kept in the
    /// code beside the test so the skip list is greppable (<c>TestModes.SingleProcessOnly</c>).
    /// </summary>
    public static bool SingleProcessOnly(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return Default;
    }

    /// <summary>
    /// For a test about one server process's own state (its seal, its memory): false in the nginx
    /// mode, where the balancer sends each request to either of two processes; true otherwise.
    /// </summary>
    public static bool OneServerOnly(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return !Nginx;
    }
}
