using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OtpNet;

namespace Strongroom.Bench;

/// <summary>
/// The management-plane side of <c>bench/access.sh</c> (issue 6), over HTTPS as the CLI talks to it:
///
/// 1. signs in the security admin and the tenant administrator the script created on the host, and
///    a system admin it creates through the plane;
/// 2. measures sign-in: creates <c>--signins</c> (+2 warm-up) audit admins through the plane, then
///    signs each in exactly once, one at a time (a TOTP code is accepted once per principal, so
///    distinct principals give distinct, valid codes), timing <c>POST v1/login</c> from request to
///    the last byte of the answer; then <c>--whoami</c> calls of <c>GET v1/whoami</c> on one
///    session, one at a time, as the peer (a session-authenticated call without Argon2id);
/// 3. walks one read-data lockbox request through its states (request by the system admin,
///    approval by the tenant administrator and by the security admin, activation) and writes the
///    grant token to <c>--token-out</c> (mode 0600) for the load tool's bearer mode.
///
/// One keep-alive connection is reused, so a latency is the server's work plus one loopback round
/// trip, not a TLS handshake. Nothing secret is printed: passwords, TOTP secrets and tokens stay in
/// memory or in the 0600 files the script hands over.
/// </summary>
public static class AccessBench
{
    private const int WarmupSignins = 2;
    private const int WarmupWhoami = 20;

    public sealed record Options(
        Uri Management,
        string TrustedCertificatePath,
        string PrincipalsPath,
        string Container,
        string? Prefix,
        int Signins,
        int Whoami,
        string TokenOutPath,
        string? JsonPath);

    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        using var http = new HttpClient(BlobClientFactory.Handler(options.TrustedCertificatePath))
        {
            BaseAddress = options.Management,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var principals = JsonNode.Parse(await File.ReadAllTextAsync(options.PrincipalsPath))
            ?? throw new InvalidDataException($"{options.PrincipalsPath}: empty");
        var security = Principal.From(principals["securityAdmin"]);
        var tenant = Principal.From(principals["tenantAdmin"]);
        var account = (string?)principals["tenantAdmin"]?["account"] ?? throw new InvalidDataException("tenantAdmin.account missing");

        var securityToken = await LoginAsync(http, "operator", null, security);
        var tenantToken = await LoginAsync(http, "tenant-admin", account, tenant);
        var system = await CreateOperatorAsync(http, securityToken, "bench-sysadmin", "system-admin");
        var systemToken = await LoginAsync(http, "operator", null, system.Principal);

        // Sign-in latency: distinct audit admins, each signed in once.
        var created = new List<long>();
        var enrolled = new List<Principal>();
        for (var i = 0; i < options.Signins + WarmupSignins; i++)
        {
            var made = await CreateOperatorAsync(http, securityToken, $"bench-signin-{i:D3}", "audit-admin");
            if (i >= WarmupSignins)
            {
                created.Add(made.Ticks);
            }
            enrolled.Add(made.Principal);
        }
        var signins = new List<long>();
        string? lastSession = null;
        for (var i = 0; i < enrolled.Count; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            lastSession = await LoginAsync(http, "operator", null, enrolled[i]);
            var ticks = Stopwatch.GetTimestamp() - begin;
            if (i >= WarmupSignins)
            {
                signins.Add(ticks);
            }
        }
        var whoami = new List<long>();
        for (var i = 0; i < options.Whoami + WarmupWhoami; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            await CallAsync(http, HttpMethod.Get, "v1/whoami", null, lastSession);
            var ticks = Stopwatch.GetTimestamp() - begin;
            if (i >= WarmupWhoami)
            {
                whoami.Add(ticks);
            }
        }

        // The lockbox: request → approved (tenant and security) → active → token.
        var requestBody = new JsonObject
        {
            ["account"] = account,
            ["container"] = options.Container,
            ["access"] = "read-data",
            ["durationMinutes"] = 60,
            ["justification"] = "bench/access.sh: read cost under a lockbox grant",
        };
        if (options.Prefix is not null)
        {
            requestBody["prefix"] = options.Prefix;
        }
        var request = await CallAsync(http, HttpMethod.Post, "v1/lockbox/requests", requestBody, systemToken);
        var id = (string?)request["id"] ?? throw new InvalidDataException("the lockbox request has no id");
        await CallAsync(http, HttpMethod.Post, $"v1/lockbox/requests/{id}/approve", new JsonObject(), tenantToken);
        await CallAsync(http, HttpMethod.Post, $"v1/lockbox/requests/{id}/approve", new JsonObject(), securityToken);
        var active = await CallAsync(http, HttpMethod.Post, $"v1/lockbox/requests/{id}/activate", new JsonObject(), systemToken);
        var grant = await CallAsync(http, HttpMethod.Post, $"v1/lockbox/requests/{id}/token", new JsonObject(), systemToken);
        var grantToken = (string?)grant["token"] ?? throw new InvalidDataException("no grant token in the answer");
        if (OperatingSystem.IsWindows())
        {
            await File.WriteAllTextAsync(options.TokenOutPath, grantToken);
        }
        else
        {
            await WriteOwnerOnlyAsync(options.TokenOutPath, grantToken);
        }

        // The Argon2id hash alone, in this process on one thread (the work a sign-in's password check
        // repeats), so the sign-in latency above can be split into the hash and the rest.
        var argon2 = new List<long>();
        var argon2CpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var random = new Strongroom.Core.SystemRandomSource();
        for (var i = 0; i < options.Signins + WarmupSignins; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            _ = Strongroom.Crypto.PasswordHash.Hash("Bench-argon2-timing-pw1", random);
            var ticks = Stopwatch.GetTimestamp() - begin;
            if (i >= WarmupSignins)
            {
                argon2.Add(ticks);
            }
        }
        var argon2CpuMs = (Process.GetCurrentProcess().TotalProcessorTime - argon2CpuBefore).TotalMilliseconds / (options.Signins + WarmupSignins);
        var cost = Strongroom.Crypto.PasswordHash.Current;

        var frequency = Stopwatch.Frequency;
        var result = new JsonObject
        {
            ["machine"] = JsonSerializer.SerializeToNode(new MachineInfo(), BenchReport.JsonOptions),
            ["management"] = options.Management.ToString(),
            ["lockboxRequest"] = id,
            ["lockboxState"] = (string?)active["state"],
            ["grantEndsOn"] = (string?)active["endsOn"],
            ["signin"] = Summary(signins, frequency),
            ["whoami"] = Summary(whoami, frequency),
            ["operatorCreate"] = Summary(created, frequency),
            ["argon2id"] = Summary(argon2, frequency),
            ["argon2idCpuMsPerHash"] = Math.Round(argon2CpuMs, 2),
            ["argon2idCost"] = $"m={cost.MemoryKib},t={cost.Iterations},p={cost.Parallelism}",
        };
        if (options.JsonPath is not null)
        {
            await File.WriteAllTextAsync(options.JsonPath, result.ToJsonString(BenchReport.JsonOptions));
        }

        output.WriteLine($"lockbox {id}: {(string?)active["state"]} until {(string?)active["endsOn"]}, grant token written to {options.TokenOutPath}");
        output.WriteLine(Line("POST v1/login", signins, frequency));
        output.WriteLine(Line("GET v1/whoami", whoami, frequency));
        output.WriteLine(Line("POST v1/operators", created, frequency));
        output.WriteLine(Line("Argon2id in-process", argon2, frequency) + $"  ({cost.MemoryKib} KiB, t={cost.Iterations}, p={cost.Parallelism}; {argon2CpuMs:F1} CPU ms per hash)");
        return 0;
    }

    private sealed record Principal(string Name, string Password, string TotpSecret)
    {
        public static Principal From(JsonNode? node) => new(
            (string?)node?["name"] ?? throw new InvalidDataException("a principal needs name"),
            (string?)node!["password"] ?? throw new InvalidDataException("a principal needs password"),
            (string?)node!["totpSecret"] ?? throw new InvalidDataException("a principal needs totpSecret"));
    }

    private static async Task<string> LoginAsync(HttpClient http, string kind, string? account, Principal principal)
    {
        var body = new JsonObject
        {
            ["kind"] = kind,
            ["name"] = principal.Name,
            ["password"] = principal.Password,
            ["code"] = Code(principal.TotpSecret),
        };
        if (account is not null)
        {
            body["account"] = account;
        }
        var answer = await CallAsync(http, HttpMethod.Post, "v1/login", body, null);
        return (string?)answer["token"] ?? throw new InvalidDataException("no session token in the sign-in answer");
    }

    private static async Task<(Principal Principal, long Ticks)> CreateOperatorAsync(HttpClient http, string sessionToken, string name, string role)
    {
        var password = "Bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + "-pw";
        var begin = Stopwatch.GetTimestamp();
        var answer = await CallAsync(http, HttpMethod.Post, "v1/operators", new JsonObject
        {
            ["name"] = name,
            ["role"] = role,
            ["password"] = password,
        }, sessionToken);
        var ticks = Stopwatch.GetTimestamp() - begin;
        var secret = (string?)answer["totpSecret"] ?? throw new InvalidDataException("no TOTP secret in the enrollment");
        return (new Principal(name, password, secret), ticks);
    }

    /// <summary>RFC 6238 (SHA-1, 6 digits, 30 s) at the current step, as an authenticator app shows it.</summary>
    private static string Code(string base32Secret) =>
        new Totp(Base32Encoding.ToBytes(base32Secret), step: 30, mode: OtpHashMode.Sha1, totpSize: 6).ComputeTotp(DateTime.UtcNow);

    /// <summary>One JSON call; a non-2xx answer throws with the plane's error code and message (never the request body).</summary>
    private static async Task<JsonNode> CallAsync(HttpClient http, HttpMethod method, string path, JsonNode? body, string? sessionToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (sessionToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sessionToken);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            var error = text.Length > 0 ? JsonNode.Parse(text)?["error"] : null;
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {(string?)error?["code"]}: {(string?)error?["message"]}");
        }
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) ?? new JsonObject();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task WriteOwnerOnlyAsync(string path, string secret)
    {
        await using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(secret));
        }
    }

    private static JsonNode? Summary(List<long> ticks, long frequency) =>
        JsonSerializer.SerializeToNode(new { count = ticks.Count, latencyMs = LatencySummary.FromTicks([.. ticks], frequency) }, BenchReport.JsonOptions);

    private static string Line(string call, List<long> ticks, long frequency)
    {
        var summary = LatencySummary.FromTicks([.. ticks], frequency);
        return $"{call,-18} n={ticks.Count,-4} p50 {summary.P50,8:F2} ms  p99 {summary.P99,8:F2} ms  min {summary.Min,8:F2}  max {summary.Max,8:F2}  mean {summary.Mean,8:F2}";
    }
}
