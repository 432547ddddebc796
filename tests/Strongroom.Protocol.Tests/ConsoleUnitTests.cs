using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.WebConsole;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The web console's pure parts: the charts' history on a fake clock, the CSRF token's
/// derivation and comparison, and the same-origin rule. (Pages and flows: the conformance
/// project's Console/ tests in a browser.)
/// </summary>
public sealed class ConsoleUnitTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static OperationsSnapshot Operations(DateTimeOffset now, params (string Account, long Pending, TimeSpan Lag)[] accounts) =>
        new(now, "test", false, [], [.. accounts.Select(a => new AccountReplication(a.Account, a.Pending, a.Pending > 0 ? now - a.Lag : null, a.Lag, now - a.Lag))], new RepairBacklog(0, 0, 0), 0, 0, new InstanceCounts(1, 0, 0));

    [Fact]
    public async Task The_history_samples_on_the_injected_clock_and_keeps_only_its_capacity()
    {
        var time = new FakeTimeProvider(Start);
        var lag = TimeSpan.FromSeconds(42);
        using var history = new ConsoleHistory(time, _ => Task.FromResult(Operations(time.GetUtcNow(), ("a", 3, lag), ("b", 1, TimeSpan.FromSeconds(7)))), TimeSpan.FromSeconds(15), capacity: 3);
        history.Start();

        // The first sample at once: no rate yet (it needs two), the largest lag and the owed copies.
        var first = Assert.Single(history.Samples());
        Assert.Equal(Start, first.At);
        Assert.Null(first.RequestsPerSecond);
        Assert.Equal(42, first.MaxReplicationLagSeconds);
        Assert.Equal(4, first.PendingCopies);

        for (var i = 0; i < 30; i++)
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.ConsolePlane, "GET sites", 200, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        time.Advance(TimeSpan.FromSeconds(15));
        await WaitForAsync(() => history.Samples().Count == 2);
        var second = history.Samples()[1];
        Assert.Equal(Start.AddSeconds(15), second.At);
        // At least the 30 requests above over 15 s (other tests in this process count too: the instruments are per process).
        Assert.True(second.RequestsPerSecond >= 2.0, $"rate {second.RequestsPerSecond}");
        Assert.NotNull(second.MeanLatencySeconds);

        time.Advance(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromSeconds(15));
        await WaitForAsync(() => history.Samples()[^1].At == Start.AddSeconds(60));
        var samples = history.Samples();
        Assert.Equal(3, samples.Count);
        Assert.Equal([Start.AddSeconds(30), Start.AddSeconds(45), Start.AddSeconds(60)], samples.Select(s => s.At));
    }

    [Fact]
    public async Task A_failed_operations_read_leaves_a_gap_not_a_zero()
    {
        var time = new FakeTimeProvider(Start);
        using var history = new ConsoleHistory(time, _ => throw new InvalidOperationException("store unreachable"), TimeSpan.FromSeconds(15));
        await history.SampleAsync(CancellationToken.None);
        var sample = Assert.Single(history.Samples());
        Assert.Null(sample.MaxReplicationLagSeconds);
        Assert.Null(sample.PendingCopies);
    }

    [Fact]
    public void The_csrf_token_is_bound_to_the_session_and_is_not_the_token()
    {
        const string session = "srsession1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        const string other = "srsession1.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        var token = ConsoleSecurity.CsrfTokenFor(session);
        Assert.Equal(token, ConsoleSecurity.CsrfTokenFor(session));
        Assert.NotEqual(token, ConsoleSecurity.CsrfTokenFor(other));
        Assert.DoesNotContain(session[11..], token, StringComparison.Ordinal);
        Assert.Equal(43, token.Length); // base64url of 32 bytes, unpadded
        Assert.True(ConsoleSecurity.TokensEqual(token, token));
        Assert.False(ConsoleSecurity.TokensEqual(token, token[..^1]));
        Assert.False(ConsoleSecurity.TokensEqual(token, null));
        Assert.False(ConsoleSecurity.TokensEqual(token, string.Empty));
        Assert.False(ConsoleSecurity.TokensEqual(null, null));
    }

    [Theory]
    [InlineData(null, null, null, true)]
    [InlineData("same-origin", "https://mgmt.example:10010", null, true)]
    [InlineData("same-origin", "null", null, true)] // Referrer-Policy no-referrer: a browser's own form says "null"
    [InlineData("cross-site", null, null, false)]
    [InlineData("same-site", null, null, false)]
    [InlineData(null, "https://attacker.example", null, false)]
    [InlineData(null, "http://mgmt.example:10010", null, false)]
    [InlineData(null, null, "https://mgmt.example:10010/console/lockbox", true)]
    [InlineData(null, null, "https://attacker.example/console/lockbox", false)]
    [InlineData(null, null, "not a url", false)]
    public void Same_origin_is_judged_from_fetch_metadata_origin_and_referer(string? fetchSite, string? origin, string? referer, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("mgmt.example:10010");
        if (fetchSite is not null)
        {
            context.Request.Headers["Sec-Fetch-Site"] = fetchSite;
        }

        if (origin is not null)
        {
            context.Request.Headers.Origin = origin;
        }

        if (referer is not null)
        {
            context.Request.Headers.Referer = referer;
        }

        Assert.Equal(expected, ConsoleSecurity.IsSameOrigin(context.Request));
    }

    [Fact]
    public void Cookies_are_http_only_strict_and_secure_on_https_with_the_host_prefix()
    {
        Assert.Equal("__Host-strongroom-session", ConsoleSecurity.SessionCookie(secure: true));
        Assert.Equal("strongroom-session", ConsoleSecurity.SessionCookie(secure: false));
        var options = ConsoleSecurity.CookieOptions(secure: true);
        Assert.True(options.HttpOnly);
        Assert.True(options.Secure);
        Assert.Equal(SameSiteMode.Strict, options.SameSite);
        Assert.Equal("/", options.Path);
        Assert.Null(options.Domain);
    }

    /// <summary>The timer's work runs on the thread pool: poll for its effect (bounded).</summary>
    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the history sampler did not take its sample");
            await Task.Delay(10);
        }
    }
}
