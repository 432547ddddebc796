using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using OtpNet;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Raw JSON calls to a running server's management plane (its own listener), trusting the
/// certificate the server generated. Every password, TOTP secret and token a test handles goes
/// through <see cref="TestLogs.RecordSecret"/>, so the log scan proves none reached a server log.
/// </summary>
public sealed class ManagementApi : IDisposable
{
    private readonly HttpClient http;

    public ManagementApi(StrongroomProcess server)
    {
        var handler = new SocketsHttpHandler();
        if (server.Production)
        {
            var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(server.CertificatePath));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData);
        }

        http = new HttpClient(handler) { BaseAddress = server.ManagementEndpoint };
    }

    /// <summary>The answer of one call: status and JSON body (an empty object when there is none).</summary>
    public sealed record Answer(HttpStatusCode Status, JsonElement Body)
    {
        public string? ErrorCode => Body.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;

        public Answer Ok()
        {
            Assert.True((int)Status is >= 200 and < 300, $"expected success, got {(int)Status}: {Body}");
            return this;
        }

        public string Text(string name) => Body.GetProperty(name).GetString()!;
    }

    /// <summary>Calls <paramref name="path"/> (e.g. <c>v1/operators</c>) with a JSON body built from an anonymous object, as <paramref name="token"/>'s session.</summary>
    public async Task<Answer> CallAsync(HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var document = JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
        return new Answer(response.StatusCode, document.RootElement.Clone());
    }

    public Task<Answer> GetAsync(string path, string? token) => CallAsync(HttpMethod.Get, path, null, token);

    public Task<Answer> PostAsync(string path, object? body, string? token) => CallAsync(HttpMethod.Post, path, body ?? new { }, token);

    /// <summary>Signs in and returns the session token. <paramref name="step"/> picks the TOTP time step (default: now); each code is accepted once.</summary>
    public async Task<Answer> LoginAsync(string kind, string? account, string name, string password, string totpSecret, long? step = null)
    {
        var code = Code(totpSecret, step);
        var answer = await PostAsync("v1/login", new { kind, account, name, password, code }, token: null);
        if (answer.Body.TryGetProperty("token", out var token))
        {
            TestLogs.RecordSecret("session token", token.GetString()!);
        }

        return answer;
    }

    /// <summary>The TOTP code of <paramref name="secret"/> (base32) at time step <paramref name="step"/> (30-second steps since the epoch; default now).</summary>
    public static string Code(string secret, long? step = null)
    {
        var totp = new Totp(Base32Encoding.ToBytes(secret), step: 30, mode: OtpHashMode.Sha1, totpSize: 6);
        var at = step is { } s ? DateTime.UnixEpoch.AddSeconds(s * 30) : DateTime.UtcNow;
        return totp.ComputeTotp(at);
    }

    /// <summary>The current 30-second TOTP step.</summary>
    public static long CurrentStep => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

    public void Dispose() => http.Dispose();
}
