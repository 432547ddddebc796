using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.KeyVault;

namespace Strongroom.Protocol.KeyVault;

/// <summary>
/// The Azure Key Vault REST wire format for the tenant's vault: one <c>RequestDelegate</c> for
/// every path whose first segment is <c>secrets</c>, <c>keys</c>, <c>deletedsecrets</c> or
/// <c>deletedkeys</c>, plus the bearer token endpoint <c>POST /.strongroom/oauth2/token</c>.
///
/// Authentication is Key Vault's challenge flow: a request without a valid bearer token gets
/// 401 with <c>WWW-Authenticate: Bearer authorization="…", resource="…"</c>; the SDK then asks
/// its <c>TokenCredential</c> for a token and repeats the request. The account is the one the
/// token names: the vault is addressed at the service root, as Azure addresses a vault at its
/// host. HTTPS only; the handler never logs a URL, a header or a body.
///
/// Each request runs in an <see cref="OperationContext"/> (request id, client address); once the
/// token verifies, the actor is the token's account with a pseudonym of the token as its grant
/// (<see cref="KeyVaultService.TokenPseudonym"/>), so the vault's log entries say who
/// acted with which token without revealing it.
/// </summary>
public sealed class KeyVaultProtocolHandler(KeyVaultService vault, BearerTokens tokens, ILogger logger)
{
    public const string TokenPath = ReservedPaths.TokenPath;

    public static bool Handles(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ReservedPaths.IsKeyVaultPath(context.Request.Path.Value);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        using var operationContext = OperationContext.Begin(new OperationContext(Actor.Anonymous, context.TraceIdentifier, context.Connection.RemoteIpAddress?.ToString()));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (!request.IsHttps)
            {
                await WriteErrorAsync(context, KeyVaultErrorMapping.HttpsRequired).ConfigureAwait(false);
                return;
            }

            if (string.Equals(request.Path.Value, TokenPath, StringComparison.Ordinal))
            {
                await HandleTokenAsync(context).ConfigureAwait(false);
                return;
            }

            var account = await AuthenticateAsync(context).ConfigureAwait(false);
            if (account is null)
            {
                return;
            }

            var apiVersion = request.Query["api-version"].ToString();
            if (!IsApiVersion(apiVersion))
            {
                await WriteErrorAsync(context, KeyVaultErrorMapping.MissingApiVersion).ConfigureAwait(false);
                return;
            }

            await RouteAsync(context, account, apiVersion).ConfigureAwait(false);
        }
        catch (KeyVaultException exception)
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.Map(exception.Code, exception.Message)).ConfigureAwait(false);
        }
        catch (StorageException exception)
        {
            var error = KeyVaultErrorMapping.Map(exception.Code);
            if (error.Status == 500)
            {
                // The cause's type only (a store error when the transparency log cannot record).
                logger.LogError("Key Vault request failed with {Code} ({Cause})", exception.Code, exception.InnerException?.GetType().FullName);
            }

            await WriteErrorAsync(context, error).ConfigureAwait(false);
        }
        catch (MethodNotAllowedException)
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
        }
        catch (NotImplementedOperation exception)
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.NotImplemented(exception.Message)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is BadBodyException or FormatException or InvalidOperationException && !context.Response.HasStarted)
        {
            // A JSON member of the wrong kind (a number where a string belongs, and so on).
            await WriteErrorAsync(context, KeyVaultErrorMapping.BadRequestBody).ConfigureAwait(false);
        }
        catch (BodyTooLargeException)
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.RequestTooLarge).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            // The type only: messages of framework exceptions may quote input.
            logger.LogError("Key Vault request failed: {ExceptionType}", exception.GetType().FullName);
            await WriteErrorAsync(context, KeyVaultErrorMapping.InternalError).ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.KeyVaultPlane, OperationTemplate(request.Method, request.Path.Value), context.Response.StatusCode, started);
        }
    }

    private static readonly string[] TemplateWords = ["versions", "backup", "restore", "recover", "create", "import", "rotate", "rotationpolicy", "release", "encrypt", "decrypt", "wrapkey", "unwrapkey", "sign", "verify"];

    private static readonly string[] TemplateMethods = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"];

    /// <summary>
    /// The request metrics' operation label: the method and the path with each name and version
    /// replaced by a placeholder (<c>POST /keys/{name}/{version}/wrapkey</c>), so the set of labels
    /// stays bounded whatever the client sends.
    /// </summary>
    public static string OperationTemplate(string method, string? path)
    {
        method = TemplateMethods.FirstOrDefault(known => string.Equals(known, method, StringComparison.OrdinalIgnoreCase)) ?? "OTHER";
        if (string.Equals(path, TokenPath, StringComparison.Ordinal))
        {
            return method + " " + TokenPath;
        }

        var segments = (path ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || !ReservedPaths.KeyVaultCollections.Contains(segments[0]) || segments.Length > 4)
        {
            return method + " other";
        }

        var template = new System.Text.StringBuilder(method).Append(' ').Append('/').Append(segments[0]);
        for (var i = 1; i < segments.Length; i++)
        {
            template.Append('/').Append(
                i >= 2 && TemplateWords.Contains(segments[i], StringComparer.Ordinal) ? segments[i]
                : i == 1 ? "{name}"
                : "{version}");
        }

        return template.ToString();
    }

    // Authentication

    private async Task<string?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            await ChallengeAsync(context, KeyVaultErrorMapping.MissingToken).ConfigureAwait(false);
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        try
        {
            var account = await tokens.ValidateAsync(token, BearerTokens.KeyVaultAudience, context.RequestAborted).ConfigureAwait(false);
            OperationContext.SetActor(new Actor(ActorKind.BearerToken, account, vault.TokenPseudonym(token)));
            return account;
        }
        catch (KeyVaultException exception) when (exception.Code == KeyVaultErrorCode.InvalidToken)
        {
            await ChallengeAsync(context, KeyVaultErrorMapping.InvalidToken).ConfigureAwait(false);
            return null;
        }
    }

    private static Task ChallengeAsync(HttpContext context, KeyVaultError error)
    {
        var (authorization, resource) = Challenge(context.Request);
        context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"{authorization}\", resource=\"{resource}\"";
        return WriteErrorAsync(context, error);
    }

    /// <summary>
    /// The challenge's parameters. <c>authorization</c> is where tokens come from (its first path
    /// segment is what the SDK takes as the tenant id). <c>resource</c> is the parent domain of
    /// the host the client addressed, because the SDK checks that the request host ends with
    /// "." + the resource host; a client addressing the server by IP address or a one-label name
    /// has no such parent and must set DisableChallengeResourceVerification.
    /// </summary>
    internal static (string Authorization, string Resource) Challenge(HttpRequest request)
    {
        var host = request.Host.Host;
        var authority = request.Host.Value;
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var isName = Uri.CheckHostName(host) == UriHostNameType.Dns;
        var resourceHost = isName && dot > 0 && dot < host.Length - 1 ? host[(dot + 1)..] : host;
        return ($"https://{authority}{TokenPath}", $"https://{resourceHost}");
    }

    private async Task HandleTokenAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
            return;
        }

        if (!request.HasFormContentType)
        {
            await WriteOAuthErrorAsync(context, 400, "invalid_request", "The token request is a form (application/x-www-form-urlencoded).").ConfigureAwait(false);
            return;
        }

        var form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueLengthLimit = 1024, KeyLengthLimit = 64, ValueCountLimit = 16 }, context.RequestAborted).ConfigureAwait(false);
        if (form["grant_type"].ToString() != "client_credentials")
        {
            await WriteOAuthErrorAsync(context, 400, "unsupported_grant_type", "Only the client_credentials grant is supported.").ConfigureAwait(false);
            return;
        }

        var clientId = form["client_id"].ToString();
        var clientSecret = form["client_secret"].ToString();
        if (clientId.Length == 0 || clientSecret.Length == 0)
        {
            await WriteOAuthErrorAsync(context, 400, "invalid_request", "client_id and client_secret are required.").ConfigureAwait(false);
            return;
        }

        IssuedToken issued;
        try
        {
            issued = await tokens.IssueForClientAsync(clientId, clientSecret, context.RequestAborted).ConfigureAwait(false);
        }
        catch (KeyVaultException exception) when (exception.Code == KeyVaultErrorCode.InvalidClient)
        {
            await WriteOAuthErrorAsync(context, 401, "invalid_client", "The client credentials are not valid.").ConfigureAwait(false);
            return;
        }

        // A token is a grant: recorded in the account's log before it is handed out.
        OperationContext.SetActor(new Actor(ActorKind.SharedKey, issued.ClientKey == 2 ? "key2" : "key1"));
        await vault.RecordTokenIssuedAsync(clientId, issued, context.RequestAborted).ConfigureAwait(false);

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        await WriteJsonAsync(context, 200, issued.WriteTokenResponse).ConfigureAwait(false);
    }

    // Routing

    private async Task RouteAsync(HttpContext context, string account, string apiVersion)
    {
        var request = context.Request;
        var segments = request.Path.Value!.Split('/')[1..].ToList();
        while (segments.Count > 1 && segments[^1].Length == 0)
        {
            segments.RemoveAt(segments.Count - 1);
        }

        var method = request.Method;
        var ct = context.RequestAborted;
        var baseUri = $"https://{request.Host.Value}";
        var collection = segments[0];
        var name = segments.Count > 1 ? Uri.UnescapeDataString(segments[1]) : null;
        var rest = segments.Skip(2).Select(Uri.UnescapeDataString).ToList();
        var (continueAfter, maxResults) = ReadPaging(request);

        switch (collection)
        {
            case ReservedPaths.Secrets:
                if (name is null)
                {
                    RequireMethod(method, HttpMethods.Get);
                    var page = await vault.ListSecretsAsync(account, continueAfter, maxResults, ct).ConfigureAwait(false);
                    await WriteListAsync(context, apiVersion, page, (w, s) => KeyVaultJson.WriteSecretItem(w, baseUri, s, withVersion: false)).ConfigureAwait(false);
                    return;
                }

                if (rest is ["versions"])
                {
                    RequireMethod(method, HttpMethods.Get);
                    var page = await vault.ListSecretVersionsAsync(account, name, continueAfter, maxResults, ct).ConfigureAwait(false);
                    await WriteListAsync(context, apiVersion, page, (w, s) => KeyVaultJson.WriteSecretItem(w, baseUri, s, withVersion: true)).ConfigureAwait(false);
                    return;
                }

                if (rest.Count > 1 || (rest is ["backup"] && HttpMethods.IsPost(method)) || name == "restore")
                {
                    throw new NotImplementedOperation("Secret backup and restore");
                }

                var secretVersion = rest.Count == 1 ? rest[0] : null;
                if (HttpMethods.IsPut(method) && secretVersion is null)
                {
                    using var body = await ReadBodyAsync(context).ConfigureAwait(false);
                    var value = KeyVaultJson.OptionalString(body.RootElement, "value") ?? throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The secret value is required.");
                    var set = await vault.SetSecretAsync(account, name, value, KeyVaultJson.ReadChanges(body.RootElement) with { KeyOperations = null }, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, set.Properties, set.Value)).ConfigureAwait(false);
                }
                else if (HttpMethods.IsGet(method))
                {
                    var secret = await vault.GetSecretAsync(account, name, secretVersion, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, secret.Properties, secret.Value)).ConfigureAwait(false);
                }
                else if (HttpMethods.IsPatch(method))
                {
                    using var body = await ReadBodyAsync(context).ConfigureAwait(false);
                    var updated = await vault.UpdateSecretAsync(account, name, secretVersion, KeyVaultJson.ReadChanges(body.RootElement) with { KeyOperations = null }, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, updated, null)).ConfigureAwait(false);
                }
                else if (HttpMethods.IsDelete(method) && secretVersion is null)
                {
                    var deleted = await vault.DeleteSecretAsync(account, name, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, deleted, null)).ConfigureAwait(false);
                }
                else
                {
                    await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
                }

                return;

            case ReservedPaths.DeletedSecrets:
                if (name is null)
                {
                    RequireMethod(method, HttpMethods.Get);
                    var page = await vault.ListDeletedSecretsAsync(account, continueAfter, maxResults, ct).ConfigureAwait(false);
                    await WriteListAsync(context, apiVersion, page, (w, s) => KeyVaultJson.WriteSecretItem(w, baseUri, s, withVersion: false)).ConfigureAwait(false);
                }
                else if (rest is ["recover"] && HttpMethods.IsPost(method))
                {
                    var recovered = await vault.RecoverDeletedSecretAsync(account, name, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, recovered, null)).ConfigureAwait(false);
                }
                else if (rest.Count == 0 && HttpMethods.IsGet(method))
                {
                    var deleted = await vault.GetDeletedSecretAsync(account, name, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteSecret(w, baseUri, deleted, null)).ConfigureAwait(false);
                }
                else if (rest.Count == 0 && HttpMethods.IsDelete(method))
                {
                    await vault.PurgeDeletedSecretAsync(account, name, ct).ConfigureAwait(false);
                    context.Response.StatusCode = 204;
                }
                else
                {
                    await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
                }

                return;

            case ReservedPaths.Keys:
                await RouteKeysAsync(context, account, apiVersion, baseUri, name, rest, continueAfter, maxResults).ConfigureAwait(false);
                return;

            default:
                if (name is null)
                {
                    RequireMethod(method, HttpMethods.Get);
                    var page = await vault.ListDeletedKeysAsync(account, continueAfter, maxResults, ct).ConfigureAwait(false);
                    await WriteListAsync(context, apiVersion, page, (w, k) => KeyVaultJson.WriteKeyItem(w, baseUri, k, withVersion: false)).ConfigureAwait(false);
                }
                else if (rest is ["recover"] && HttpMethods.IsPost(method))
                {
                    var recovered = await vault.RecoverDeletedKeyAsync(account, name, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, recovered)).ConfigureAwait(false);
                }
                else if (rest.Count == 0 && HttpMethods.IsGet(method))
                {
                    var deleted = await vault.GetDeletedKeyAsync(account, name, ct).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, deleted)).ConfigureAwait(false);
                }
                else if (rest.Count == 0 && HttpMethods.IsDelete(method))
                {
                    await vault.PurgeDeletedKeyAsync(account, name, ct).ConfigureAwait(false);
                    context.Response.StatusCode = 204;
                }
                else
                {
                    await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
                }

                return;
        }
    }

    private static readonly string[] Operations = ["encrypt", "decrypt", "wrapkey", "unwrapkey", "sign", "verify"];

    private async Task RouteKeysAsync(HttpContext context, string account, string apiVersion, string baseUri, string? name, List<string> rest, string? continueAfter, int? maxResults)
    {
        var method = context.Request.Method;
        var ct = context.RequestAborted;
        if (name is null)
        {
            RequireMethod(method, HttpMethods.Get);
            var page = await vault.ListKeysAsync(account, continueAfter, maxResults, ct).ConfigureAwait(false);
            await WriteListAsync(context, apiVersion, page, (w, k) => KeyVaultJson.WriteKeyItem(w, baseUri, k, withVersion: false)).ConfigureAwait(false);
            return;
        }

        if (rest is ["versions"] && HttpMethods.IsGet(method))
        {
            var page = await vault.ListKeyVersionsAsync(account, name, continueAfter, maxResults, ct).ConfigureAwait(false);
            await WriteListAsync(context, apiVersion, page, (w, k) => KeyVaultJson.WriteKeyItem(w, baseUri, k, withVersion: true)).ConfigureAwait(false);
            return;
        }

        if (rest is ["create"] && HttpMethods.IsPost(method))
        {
            using var body = await ReadBodyAsync(context).ConfigureAwait(false);
            var root = body.RootElement;
            var keyType = KeyVaultJson.OptionalString(root, "kty") ?? throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The key type (kty) is required.");
            if (root.TryGetProperty("public_exponent", out var exponent) && exponent.ValueKind == JsonValueKind.Number && exponent.GetInt32() != 65537)
            {
                throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "Only the public exponent 65537 is supported.");
            }

            int? size = root.TryGetProperty("key_size", out var sizeElement) && sizeElement.ValueKind != JsonValueKind.Null ? sizeElement.GetInt32() : null;
            var changes = KeyVaultJson.ReadChanges(root);
            var created = await vault.CreateKeyAsync(account, name, new CreateKeyRequest(keyType, size, KeyVaultJson.OptionalString(root, "crv"), changes.KeyOperations, changes with { KeyOperations = null, ContentType = null }), ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, created)).ConfigureAwait(false);
            return;
        }

        if (rest is ["rotate"] && HttpMethods.IsPost(method))
        {
            var rotated = await vault.RotateKeyAsync(account, name, ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, rotated)).ConfigureAwait(false);
            return;
        }

        if (rest.Count is 1 or 2 && HttpMethods.IsPost(method) && Operations.Contains(rest[^1].ToLowerInvariant()))
        {
            await KeyOperationAsync(context, account, baseUri, name, rest.Count == 2 ? rest[0] : null, rest[^1].ToLowerInvariant()).ConfigureAwait(false);
            return;
        }

        if (rest.Count > 1 || rest is ["backup" or "release" or "rotationpolicy"] || name is "restore" or "import")
        {
            throw new NotImplementedOperation("Key backup, restore, import, release and rotation policies");
        }

        var version = rest.Count == 1 ? rest[0] : null;
        if (HttpMethods.IsGet(method))
        {
            var key = await vault.GetKeyAsync(account, name, version, ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, key)).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPatch(method))
        {
            using var body = await ReadBodyAsync(context).ConfigureAwait(false);
            var updated = await vault.UpdateKeyAsync(account, name, version, KeyVaultJson.ReadChanges(body.RootElement) with { ContentType = null }, ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, updated)).ConfigureAwait(false);
        }
        else if (HttpMethods.IsDelete(method) && version is null)
        {
            var deleted = await vault.DeleteKeyAsync(account, name, ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteKey(w, baseUri, deleted)).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(method))
        {
            throw new NotImplementedOperation("Key import");
        }
        else
        {
            await WriteErrorAsync(context, KeyVaultErrorMapping.MethodNotAllowed).ConfigureAwait(false);
        }
    }

    private async Task KeyOperationAsync(HttpContext context, string account, string baseUri, string name, string? version, string operation)
    {
        var ct = context.RequestAborted;
        using var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var root = body.RootElement;
        var algorithm = KeyVaultJson.OptionalString(root, "alg") ?? throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The algorithm (alg) is required.");
        var value = KeyVaultJson.OptionalBytes(root, "value") ?? throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The value is required.");
        if (value.Length > Limits.VaultOperationInputBytesMax)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The value is too large.");
        }

        if (operation == "verify")
        {
            var digest = KeyVaultJson.OptionalBytes(root, "digest") ?? throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The digest is required.");
            var (_, _, valid) = await vault.VerifyAsync(account, name, version, algorithm, digest, value, ct).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("value", valid);
                w.WriteEndObject();
            }).ConfigureAwait(false);
            return;
        }

        KeyOperationResult result;
        try
        {
            result = operation switch
            {
                "encrypt" => await vault.EncryptAsync(account, name, version, algorithm, value, KeyVaultJson.OptionalBytes(root, "aad"), ct).ConfigureAwait(false),
                "decrypt" => await vault.DecryptAsync(account, name, version, algorithm, value, KeyVaultJson.OptionalBytes(root, "iv"), KeyVaultJson.OptionalBytes(root, "tag"), KeyVaultJson.OptionalBytes(root, "aad"), ct).ConfigureAwait(false),
                "wrapkey" => await vault.WrapKeyAsync(account, name, version, algorithm, value, ct).ConfigureAwait(false),
                "unwrapkey" => await vault.UnwrapKeyAsync(account, name, version, algorithm, value, ct).ConfigureAwait(false),
                _ => await vault.SignAsync(account, name, version, algorithm, value, ct).ConfigureAwait(false),
            };
        }
        finally
        {
            // Plaintext for encrypt and keys to wrap are not kept beyond the operation.
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }

        try
        {
            await WriteJsonAsync(context, 200, w => KeyVaultJson.WriteOperationResult(w, baseUri, result)).ConfigureAwait(false);
        }
        finally
        {
            if (operation is "decrypt" or "unwrapkey")
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(result.Value);
            }
        }
    }

    // Helpers

    private static bool IsApiVersion(string value) =>
        value.Length is > 0 and <= 32 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');

    private static (string? ContinueAfter, int? MaxResults) ReadPaging(HttpRequest request)
    {
        int? maxResults = null;
        var max = request.Query["maxresults"].ToString();
        if (max.Length > 0)
        {
            maxResults = int.TryParse(max, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "maxresults is not a number.");
        }

        var skip = request.Query["$skiptoken"].ToString();
        string? continueAfter = null;
        if (skip.Length > 0)
        {
            continueAfter = Encoding.UTF8.GetString(Base64Url.Decode(skip));
        }

        return (continueAfter, maxResults);
    }

    private static void RequireMethod(string method, string expected)
    {
        if (!string.Equals(method, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new MethodNotAllowedException();
        }
    }

    private static async Task WriteListAsync<T>(HttpContext context, string apiVersion, VaultPage<T> page, Action<Utf8JsonWriter, T> writeItem)
    {
        var request = context.Request;
        string? nextLink = null;
        if (page.ContinueAfter is not null)
        {
            var max = request.Query["maxresults"].ToString();
            nextLink = $"https://{request.Host.Value}{request.Path.Value}?api-version={Uri.EscapeDataString(apiVersion)}" +
                $"&$skiptoken={Base64Url.Encode(Encoding.UTF8.GetBytes(page.ContinueAfter))}" +
                (max.Length > 0 ? $"&maxresults={Uri.EscapeDataString(max)}" : string.Empty);
        }

        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("value");
            foreach (var item in page.Items)
            {
                writeItem(writer, item);
            }

            writer.WriteEndArray();
            if (nextLink is null)
            {
                writer.WriteNull("nextLink");
            }
            else
            {
                writer.WriteString("nextLink", nextLink);
            }

            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task<RequestBody> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > Limits.VaultRequestBodyBytesMax)
        {
            throw new BodyTooLargeException();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Limits.VaultRequestBodyBytesMax);
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length, Limits.VaultRequestBodyBytesMax - length), context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length == Limits.VaultRequestBodyBytesMax && await request.Body.ReadAsync(new byte[1], context.RequestAborted).ConfigureAwait(false) > 0)
                {
                    throw new BodyTooLargeException();
                }
            }

            // The document parses in place, so the buffer lives (and is wiped) with it.
            var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            var body = new RequestBody(document, buffer, length);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                body.Dispose();
                throw new BadBodyException();
            }

            return body;
        }
        catch (JsonException)
        {
            Release(buffer, length);
            throw new BadBodyException();
        }
        catch (Exception exception) when (exception is not BadBodyException)
        {
            Release(buffer, length);
            throw;
        }
    }

    private static void Release(byte[] buffer, int length)
    {
        // The body may hold a secret value or key material.
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>A parsed request body over its pooled buffer; disposing wipes the buffer.</summary>
    private sealed class RequestBody(JsonDocument document, byte[] buffer, int length) : IDisposable
    {
        private int disposed;

        public JsonElement RootElement => document.RootElement;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                document.Dispose();
                Release(buffer, length);
            }
        }
    }

    private static Task WriteErrorAsync(HttpContext context, KeyVaultError error) =>
        WriteJsonAsync(context, error.Status, writer => KeyVaultJson.WriteError(writer, error));

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>();
        // Key Vault writes "Recoverable+Purgeable", not "\u002B": the body is JSON, never HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        response.Headers.CacheControl = "no-cache";
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteOAuthErrorAsync(HttpContext context, int status, string error, string description) =>
        WriteJsonAsync(context, status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", error);
            writer.WriteString("error_description", description);
            writer.WriteEndObject();
        });

    private sealed class BadBodyException : Exception;

    private sealed class BodyTooLargeException : Exception;

    private sealed class MethodNotAllowedException : Exception;

    private sealed class NotImplementedOperation(string what) : Exception(what);
}
