using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access;

// Grant tokens: `srgrant1.` + base64url(payload) + `.` + base64url(HMAC-SHA256(key, payload)), the
// key derived from the platform keyring version the payload names (TenantKeys.GrantTokenSigningKey).
// The payload binds the grant, its operator, the session it was issued to and its end; the store
// decides the rest at every use (state, end, the session still alive and still that operator's),
// so a revocation, an end or a logout stops a token at once. The token itself is never stored or
// logged: an operator who loses it asks for another.
public sealed partial class LockboxService
{
    /// <summary>Every grant token starts so (log scans look for it; it tells grant tokens from other bearer tokens).</summary>
    public const string GrantTokenPrefix = "srgrant1.";

    private const int GrantTokenPayloadVersion = 1;
    private const int GrantTokenMacBytes = 32;

    /// <summary>A grant token for the requesting operator's current session (any other caller: refused), valid until the grant ends.</summary>
    public async Task<IssuedGrantToken> IssueTokenAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var grant = await LoadForRequesterAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (grant.State != LockboxState.Active || grant.EndsOn is not { } endsOn)
        {
            throw new StorageException(ErrorCode.InvalidAccessState, $"Request {grant.Id} is {AccessNames.StateName(grant.State)}: a token is issued for an active grant only (activate it first).");
        }

        if (string.IsNullOrEmpty(caller.SessionId))
        {
            throw new StorageException(ErrorCode.SessionInvalid, "A grant token is bound to a session: sign in first.");
        }

        await RequireCurrentAccountAsync(grant, cancellationToken).ConfigureAwait(false);

        var version = keys.PlatformKeyVersion;
        var payload = GrantTokenPayload(grant.Id, caller.Name, caller.SessionId, endsOn, version);
        var token = GrantTokenPrefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Mac(version, payload));

        // Recorded before the token leaves; the entry names the grant and its end, never the token.
        await audit.RecordAsync(Entry(caller.Actor, grant, AuditActions.LockboxIssueToken, [new("expiresOn", Iso(endsOn))]), cancellationToken).ConfigureAwait(false);
        return new IssuedGrantToken(token, endsOn);
    }

    public bool IsGrantToken(string token) => token.StartsWith(GrantTokenPrefix, StringComparison.Ordinal);

    public async Task<OperatorGrant> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var claims = Verify(token);
        var now = time.GetUtcNow();
        var stored = await requests.GetLockboxRequestAsync(claims.GrantId, cancellationToken).ConfigureAwait(false)
            ?? throw NotActive();
        var grant = await SettleAsync(stored, cancellationToken).ConfigureAwait(false);
        if (grant.State != LockboxState.Active
            || grant.EndsOn is not { } endsOn
            || now >= endsOn
            || now >= claims.ExpiresOn
            || grant.Requester != claims.Operator)
        {
            throw NotActive();
        }

        // The account must be the one the grant was asked for, and enabled.
        if (!await ForCurrentAccountAsync(grant, cancellationToken).ConfigureAwait(false))
        {
            throw NotActive();
        }

        // The session it was issued to must still be alive and still this operator's (use touches it).
        var holder = await identities.TouchSessionAsync(claims.SessionId, cancellationToken).ConfigureAwait(false);
        if (holder is null || holder.Kind != PrincipalKind.Operator || holder.Name != claims.Operator)
        {
            throw NotActive();
        }

        return new OperatorGrant(grant.Id, grant.Account, grant.Requester, grant.Container, grant.Prefix, grant.Access, endsOn, grant.Justification);
    }

    private sealed record GrantTokenClaims(string GrantId, string Operator, string SessionId, DateTimeOffset ExpiresOn);

    /// <summary>The claims of a token whose signature verifies under this deployment's keyring; GrantTokenInvalid otherwise.</summary>
    private GrantTokenClaims Verify(string token)
    {
        if (token is null || token.Length > Limits.GrantTokenCharsMax || !IsGrantToken(token))
        {
            throw Invalid();
        }

        var body = token.AsSpan(GrantTokenPrefix.Length);
        var dot = body.IndexOf('.');
        if (dot <= 0 || body[(dot + 1)..].IndexOf('.') >= 0)
        {
            throw Invalid();
        }

        byte[] payload;
        byte[] signature;
        try
        {
            payload = Base64Url.DecodeFromChars(body[..dot]);
            signature = Base64Url.DecodeFromChars(body[(dot + 1)..]);
        }
        catch (FormatException)
        {
            throw Invalid();
        }

        if (signature.Length != GrantTokenMacBytes)
        {
            throw Invalid();
        }

        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 2 });
            var root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != GrantTokenPayloadVersion)
            {
                throw Invalid();
            }

            var version = root.GetProperty("kid").GetUInt32();
            byte[] expected;
            try
            {
                expected = Mac(version, payload);
            }
            catch (StorageException exception) when (exception.Code is ErrorCode.VaultSealed or ErrorCode.IntegrityCheckFailed)
            {
                // Sealed, or signed by a key this keyring does not hold (another deployment's, or a retired version).
                throw Invalid();
            }

            if (!CryptographicOperations.FixedTimeEquals(expected, signature))
            {
                throw Invalid();
            }

            return new GrantTokenClaims(
                root.GetProperty("grant").GetString() ?? throw Invalid(),
                root.GetProperty("operator").GetString() ?? throw Invalid(),
                root.GetProperty("session").GetString() ?? throw Invalid(),
                DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("exp").GetInt64()));
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw Invalid();
        }
    }

    private static byte[] GrantTokenPayload(string grantId, string operatorName, string sessionId, DateTimeOffset expiresOn, uint version)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", GrantTokenPayloadVersion);
            json.WriteString("grant", grantId);
            json.WriteString("operator", operatorName);
            json.WriteString("session", sessionId);
            json.WriteNumber("exp", expiresOn.ToUnixTimeMilliseconds());
            json.WriteNumber("kid", version);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private byte[] Mac(uint version, byte[] payload)
    {
        var key = keys.GrantTokenSigningKey(version);
        try
        {
            return HMACSHA256.HashData(key, payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static StorageException Invalid() => new(ErrorCode.GrantTokenInvalid, "The grant token is not valid.");

    private static StorageException NotActive() => new(ErrorCode.GrantNotActive, "The grant is not active: it ended, expired or was revoked, or its session ended.");
}
