using Azure.Storage.Blobs.Models;
using Limits = Strongroom.Core.Limits;
using CorsRule = Strongroom.Core.CorsRule;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Waits until every server of a test deployment applies a Set Blob Service Properties to the
/// requests it answers. A server caches an account's CORS rules and DefaultServiceVersion for
/// <see cref="Limits.ServicePropertiesCacheDuration"/> (a Set applies at once on the server that
/// committed it and within that time on the others, docs/deployment.md), so in the nginx mode a
/// test that sets rules and at once sends a request the balancer may route to the other server
/// must first wait for both. Azure's "Set Blob Service Properties" and "CORS support for the
/// Azure Storage services" (learn.microsoft.com/rest/api/storageservices) name no propagation
/// delay: once the rules are set, requests to the service are evaluated against them.
/// With one server (every other mode) the Set already applies to the next request and this
/// returns at once, so the tests keep asserting exactly that there.
/// </summary>
public static class ServicePropertiesPropagation
{
    const string ProbeOrigin = "http://strongroom-propagation-probe.example";

    /// <summary>The bound: the cache duration plus a margin for a loaded machine.</summary>
    public static TimeSpan Bound { get; } = Limits.ServicePropertiesCacheDuration + TimeSpan.FromSeconds(10);

    /// <summary>
    /// Polls each server directly (not through the balancer) until its answers show
    /// <paramref name="after"/>: for every origin and method the rules of <paramref name="before"/>
    /// or <paramref name="after"/> name (and their allowed headers), the preflight is answered as
    /// <paramref name="after"/>'s rules answer it (status and Access-Control-Max-Age), and an
    /// anonymous request without x-ms-version is answered in <paramref name="after"/>'s
    /// DefaultServiceVersion when it names one. Fails after <see cref="Bound"/>.
    /// </summary>
    public static async Task WaitUntilEveryServerAppliesAsync(StrongroomProcess server, string account, BlobServiceProperties before, BlobServiceProperties after)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (server.Peer is not { } peer)
        {
            return;
        }

        var rules = (after.Cors ?? []).Select(ToCore).ToList();
        var probes = Probes((before.Cors ?? []).Concat(after.Cors ?? []).Select(ToCore)).ToList();
        foreach (var port in new[] { server.DirectPort, peer.DirectPort })
        {
            using var http = new HttpClient(server.TrustingHandler()) { Timeout = TimeSpan.FromSeconds(30) };
            var baseUri = new Uri($"{server.Endpoint.Scheme}://127.0.0.1:{port}/{account}/");
            await MultiServerDeployment.EventuallyAsync(
                $"the server on port {port} applies the service properties just set",
                Bound,
                async () =>
                {
                    foreach (var probe in probes)
                    {
                        var expected = Expected(rules, probe);
                        var observed = await PreflightAsync(http, baseUri, probe);
                        if (expected != observed)
                        {
                            return (false, $"preflight {probe}: expected {expected}, answered {observed}");
                        }
                    }

                    if (after.DefaultServiceVersion is { Length: > 0 } version)
                    {
                        using var anonymous = await http.GetAsync(new Uri(baseUri, "strongroom-propagation-probe/b"));
                        var answered = anonymous.Headers.TryGetValues("x-ms-version", out var values) ? values.Single() : null;
                        if (answered != version)
                        {
                            return (false, $"x-ms-version without one requested: expected {version}, answered {answered ?? "<none>"}");
                        }
                    }

                    return (true, "applied");
                });
        }
    }

    sealed record Probe(string Origin, string Method, string? RequestHeaders);

    static CorsRule ToCore(BlobCorsRule rule) =>
        new(rule.AllowedOrigins ?? "", rule.AllowedMethods ?? "", rule.AllowedHeaders ?? "", rule.ExposedHeaders ?? "", rule.MaxAgeInSeconds);

    // Every origin and method either rule set names, with no requested header and with one per
    // allowed header of the rule (a prefix completed), so two rule sets differing in origins,
    // methods, order, allowed headers or max age answer at least one probe differently.
    static IEnumerable<Probe> Probes(IEnumerable<CorsRule> rules)
    {
        var seen = new HashSet<Probe>();
        foreach (var rule in rules)
        {
            var requested = rule.AllowedHeaderItems.Count == 0
                ? null
                : string.Join(",", rule.AllowedHeaderItems.Select(item => item.EndsWith('*') ? item[..^1] + "probe" : item));
            foreach (var origin in rule.Origins.Select(o => o == "*" ? ProbeOrigin : o).Append(ProbeOrigin))
            {
                foreach (var method in rule.Methods)
                {
                    foreach (var probe in new[] { new Probe(origin, method, null), new Probe(origin, method, requested) })
                    {
                        if (seen.Add(probe))
                        {
                            yield return probe;
                        }
                    }
                }
            }
        }
    }

    // Azure's evaluation: the first rule matching origin and method decides; its allowed headers
    // must cover the requested ones.
    static (int Status, string? MaxAge) Expected(IReadOnlyList<CorsRule> rules, Probe probe)
    {
        var rule = rules.FirstOrDefault(r => r.AllowsOrigin(probe.Origin) && r.AllowsMethod(probe.Method));
        return rule is null || !rule.AllowsHeaders(probe.RequestHeaders)
            ? (403, null)
            : (200, rule.MaxAgeInSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    static async Task<(int Status, string? MaxAge)> PreflightAsync(HttpClient http, Uri baseUri, Probe probe)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(baseUri, "strongroom-propagation-probe/b"));
        request.Headers.TryAddWithoutValidation("Origin", probe.Origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", probe.Method);
        if (probe.RequestHeaders is not null)
        {
            request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", probe.RequestHeaders);
        }

        using var response = await http.SendAsync(request);
        var maxAge = response.Headers.TryGetValues("Access-Control-Max-Age", out var values) ? values.Single() : null;
        return ((int)response.StatusCode, maxAge);
    }
}
