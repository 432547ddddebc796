using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.TestSupport;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Placement;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// What the management route tests share: the sessions of a fake authenticator (one per role),
/// requests put to the handler as Kestrel would hand them over, and — for the route tests over real
/// services — a SQLite store, an unsealed keyring and the transparency log in a temporary directory.
/// </summary>
internal sealed class ManagementRouteHarness : IAsyncDisposable
{
    public const string SystemAdminToken = "srsession1.system-admin";
    public const string SecurityAdminToken = "srsession1.security-admin";
    public const string AuditAdminToken = "srsession1.audit-admin";
    public const string AcmeAdminToken = "srsession1.acme-admin";
    public const string GlobexAdminToken = "srsession1.globex-admin";

    public static readonly IReadOnlyDictionary<string, AuthenticatedPrincipal> Sessions = new Dictionary<string, AuthenticatedPrincipal>(StringComparer.Ordinal)
    {
        [SystemAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sysop", OperatorRole.SystemAdmin, "s1"),
        [SecurityAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "s2"),
        [AuditAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "audrey", OperatorRole.AuditAdmin, "s3"),
        [AcmeAdminToken] = new(PrincipalKind.TenantAdmin, "acme", "dana", null, "s4"),
        [GlobexAdminToken] = new(PrincipalKind.TenantAdmin, "globex", "gus", null, "s5"),
    };

    private readonly RootKey rootKey;

    private ManagementRouteHarness(string directory, RootKey rootKey, SqlMetadataStore store, SealState seal, TransparencyLog log)
    {
        Directory = directory;
        this.rootKey = rootKey;
        Store = store;
        Seal = seal;
        Log = log;
    }

    public string Directory { get; }

    public SqlMetadataStore Store { get; }

    public SealState Seal { get; }

    public TransparencyLog Log { get; }

    /// <summary>Set by <see cref="Serve"/>.</summary>
    public ManagementProtocolHandler Handler { get; private set; } = null!;

    /// <summary>The session a token stands for; SessionInvalid for any other token.</summary>
    public static Task<AuthenticatedPrincipal> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        Sessions.TryGetValue(token, out var principal)
            ? Task.FromResult(principal)
            : throw new StorageException(ErrorCode.SessionInvalid, "The session is unknown, ended or expired.");

    /// <summary>A service the routes under test never reach: sessions come from the fake authenticator.</summary>
    public static T Uninitialized<T>() => (T)RuntimeHelpers.GetUninitializedObject(typeof(T));

    public static (int, string?) Code(ManagementResponse response) => (response.Status, response.ErrorCode);

    public static async Task<ManagementRouteHarness> OpenAsync(string directoryPrefix)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory(directoryPrefix).FullName;
        var rootKey = RootKey.Generate(new SeededRandomSource(1));
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        var log = new TransparencyLog(store, new CheckpointSigner(seal), () => "0123456789abcdef", TimeProvider.System);
        return new ManagementRouteHarness(directory, rootKey, store, seal, log);
    }

    /// <summary>Accounts acme and globex, enabled, each with one container.</summary>
    public async Task CreateAccountsAsync(string container, DateTimeOffset createdOn)
    {
        foreach (var account in new[] { "acme", "globex" })
        {
            await Store.CreateAccountAsync(new AccountRecord(account, [1], [2], [3], createdOn, AccountState.Enabled));
            await Store.CreateContainerAsync(new ContainerRecord(account, container, "\"0x1\"", createdOn, createdOn, []));
        }
    }

    /// <summary>Builds <see cref="Handler"/> over the log and the store's accounts, with the services a test class exercises.</summary>
    public void Serve(
        TransferService? transfers = null,
        DestructionService? destruction = null,
        ProtectionService? protection = null,
        CertificateService? certificates = null,
        SiteSet? sites = null)
    {
        Handler = new ManagementProtocolHandler(
            new ManagementServices
            {
                Identities = Uninitialized<IdentityService>(),
                Lockbox = Uninitialized<LockboxService>(),
                Transfers = transfers ?? Uninitialized<TransferService>(),
                Random = new SeededRandomSource(7),
                Audit = Log,
                Destruction = destruction,
                Protection = protection,
                Certificates = certificates,
                Sites = sites,
                GetAccount = (account, token) => Store.GetAccountAsync(account, token),
                AuthenticateSession = AuthenticateAsync,
            },
            new ManagementOptions { RequireHttps = true });
    }

    public Task<ManagementResponse> SendAsync(string method, string pathAndQuery, string token, string? body = null) =>
        SendAsync(Handler, method, pathAndQuery, token, body);

    /// <summary>The entries of an account's log, decoded.</summary>
    public async Task<List<AuditEntry>> AccountEntriesAsync(string account)
    {
        var size = (await Store.GetAuditTreeHeadAsync(account)).Size;
        var stored = await Store.ReadAuditEntriesAsync(account, 0, size);
        return [.. stored.Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    /// <summary>Puts one request to <paramref name="handler"/> from loopback and collects its answer.</summary>
    public static async Task<ManagementResponse> SendAsync(ManagementProtocolHandler handler, string method, string pathAndQuery, string? token = null, string? body = null, bool https = true, long? contentLength = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = https ? "https" : "http";
        request.Host = new HostString("127.0.0.1", 10010);
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        if (token is not null)
        {
            request.Headers.Authorization = "Bearer " + token;
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = contentLength ?? bytes.Length;
            request.ContentType = "application/json";
        }
        else if (contentLength is not null)
        {
            request.ContentLength = contentLength;
        }

        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        await handler.HandleAsync(context);
        return new ManagementResponse(context.Response.StatusCode, context.Response, responseBody.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        Seal.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>A management plane answer: its status, headers and body bytes, the body read as JSON on demand.</summary>
internal sealed record ManagementResponse(int Status, HttpResponse Http, byte[] Bytes)
{
    public string Text => Encoding.UTF8.GetString(Bytes);

    public IHeaderDictionary Headers => Http.Headers;

    public JsonElement Body
    {
        get
        {
            using var document = JsonDocument.Parse(Bytes.Length == 0 ? "{}"u8.ToArray() : Bytes);
            return document.RootElement.Clone();
        }
    }

    public string? ErrorCode => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;

    /// <summary>A string property of the body.</summary>
    public string Value(string name) => Body.GetProperty(name).GetString()!;
}
