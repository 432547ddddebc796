using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.WebConsole.Pages.Tenant;

namespace Strongroom.WebConsole;

// Lane console-tenant owns this file: the tenant administrator's routes and navigation.
//
// Every tenant page is about the signed-in administrator's own account: the account comes from
// the principal, never from the URL, so no link reaches another account's data; ids from the URL
// (a request, a transfer, a certificate) are looked up by the services with the principal, which
// answer "not found" for another account's, exactly as the JSON API does. Reads that change
// nothing are GET forms; approve, deny and revoke are POST forms (CSRF-checked before the route
// runs) answered 303 to the page that shows the result.
public sealed partial class ConsoleHandler
{
    /// <summary>Where a tenant administrator lands after sign-in.</summary>
    internal const string TenantHomePath = PathPrefix + "/tenant";

    internal const string TenantPlacementPath = TenantHomePath + "/placement";
    internal const string TenantLogPath = TenantHomePath + "/log";
    internal const string TenantRequestsPath = TenantHomePath + "/requests";
    internal const string TenantGrantsPath = TenantHomePath + "/grants";
    internal const string TenantKeysPath = TenantHomePath + "/keys";
    internal const string TenantCertificatesPath = TenantHomePath + "/certificates";

    /// <summary>The tenant administrator's navigation, in order.</summary>
    internal static readonly IReadOnlyList<NavItem> TenantNavigation =
    [
        new("Account", TenantHomePath),
        new("Where my data is", TenantPlacementPath),
        new("Transparency log", TenantLogPath),
        new("Pending requests", TenantRequestsPath),
        new("Active grants", TenantGrantsPath),
        new("Keys and scopes", TenantKeysPath),
        new("Destruction certificates", TenantCertificatesPath),
    ];

    private IEnumerable<ConsoleRoute> TenantRoutes() =>
        [
            new(HttpMethods.Get, "tenant", TenantHomeAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/placement", TenantPlacementAsync, ConsoleAudience.TenantAdmin),
            new(HttpMethods.Get, "tenant/placement/report", TenantPlacementReportAsync, ConsoleAudience.TenantAdmin),
            new(HttpMethods.Get, "tenant/log", TenantLogAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/log/checkpoint", TenantCheckpointAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/log/inclusion", TenantInclusionAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/log/consistency", TenantConsistencyAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/requests", call => TenantRequestsPageAsync(call, error: null, status: 200), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Post, "tenant/lockbox/{id}/approve", call => TenantDecideAsync(call, TenantRequestsPath, async (caller, id) =>
                await Services.Lockbox.ApproveAsync(caller, id, call.Aborted).ConfigureAwait(false) is { State: LockboxState.Approved } ? "tenant-lockbox-approved-final" : "tenant-lockbox-approved"), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Post, "tenant/lockbox/{id}/deny", call => TenantDecideAsync(call, TenantRequestsPath, async (caller, id) =>
            {
                await Services.Lockbox.DenyAsync(caller, id, Reason(call), call.Aborted).ConfigureAwait(false);
                return "tenant-lockbox-denied";
            }), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Post, "tenant/transfers/{id}/approve", call => TenantDecideAsync(call, TenantRequestsPath, async (caller, id) =>
                await Services.Transfers.ApproveAsync(caller, id, call.Aborted).ConfigureAwait(false) is { State: TransferState.Approved } ? "tenant-transfer-approved-final" : "tenant-transfer-approved"), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Post, "tenant/transfers/{id}/deny", call => TenantDecideAsync(call, TenantRequestsPath, async (caller, id) =>
            {
                await Services.Transfers.DenyAsync(caller, id, Reason(call), call.Aborted).ConfigureAwait(false);
                return "tenant-transfer-denied";
            }), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Get, "tenant/grants", call => TenantGrantsPageAsync(call, error: null, status: 200), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Post, "tenant/lockbox/{id}/revoke", call => TenantDecideAsync(call, TenantGrantsPath, async (caller, id) =>
            {
                await Services.Lockbox.RevokeAsync(caller, id, call.Aborted).ConfigureAwait(false);
                return "tenant-grant-revoked";
            }), ConsoleAudience.TenantAdmin),
            new(HttpMethods.Get, "tenant/keys", TenantKeysAsync, ConsoleAudience.TenantAdmin),
            new(HttpMethods.Get, "tenant/certificates", TenantCertificatesAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/certificates/{id}", TenantCertificateAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/certificates/{id}/document", TenantCertificateDocumentAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
            new(HttpMethods.Get, "tenant/certificates/{id}/signature", TenantCertificateSignatureAsync, ConsoleAudience.TenantAdmin, AfterClosure: true),
        ];

    /// <summary>The signed-in administrator's account, checked with the JSON API's rule for an account's customer metadata.</summary>
    private static string TenantAccount(ConsoleCall call, string what) => TenantData.RequireAccountReader(call.Principal, call.Principal.Account, what);

    private async Task TenantHomeAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account");
        var record = await Services.GetAccount(account, call.Aborted).ConfigureAwait(false);

        // The landing page answers the administrator of a closed or destroyed account too (as
        // whoami does), but then shows only what closure leaves readable: no requests or grants.
        var open = record is not null && !IdentityService.IsClosedForTenantAdmins(record.State);
        var lockbox = open ? await TenantData.ListLockboxAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false) : [];
        var transfers = open ? await TenantData.ListTransfersAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false) : [];
        await call.PageAsync<TenantHomePage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Account"] = record,
            ["Open"] = open,
            ["PendingLockbox"] = lockbox.Count(TenantData.AwaitsTenant),
            ["PendingTransfers"] = transfers.Count(TenantData.AwaitsTenant),
            ["ActiveGrants"] = lockbox.Count(TenantData.IsRevocable),
        }).ConfigureAwait(false);
    }

    private async Task TenantPlacementAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's locations");
        var placement = await TenantData.GetPlacementAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false);
        var container = call.Query("container");
        var blob = call.Query("blob");
        Placement.BlobCopies? found = null;
        string? findError = null;
        var status = 200;
        if (container is not null || blob is not null)
        {
            if (string.IsNullOrWhiteSpace(container) || string.IsNullOrEmpty(blob))
            {
                (status, findError) = (400, "Give both the container and the blob name.");
            }
            else
            {
                try
                {
                    found = await TenantData.FindBlobAsync(Services, account, container, blob, call.Aborted).ConfigureAwait(false);
                }
                catch (StorageException exception) when (exception.Code is ErrorCode.ContainerNotFound or ErrorCode.BlobNotFound or ErrorCode.InvalidResourceName)
                {
                    status = ManagementErrors.Map(exception.Code, exception.Message).Status;
                    findError = exception.Code switch
                    {
                        ErrorCode.ContainerNotFound => $"Your account has no container named '{container}'.",
                        ErrorCode.BlobNotFound => $"The container '{container}' has no blob named '{blob}'.",
                        _ => exception.Message,
                    };
                }
            }
        }

        await call.PageAsync<TenantPlacementPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Placement"] = placement,
            ["Container"] = container,
            ["Blob"] = blob,
            ["Found"] = found,
            ["FindError"] = findError,
        }, status).ConfigureAwait(false);
    }

    /// <summary>The signed placement report as a download (its making is recorded in the account's log, as on the JSON API).</summary>
    private async Task TenantPlacementReportAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "make this account's placement report");
        var placement = Services.Placement ?? throw new InvalidOperationException("the console was composed without placement");
        var note = await placement.CreateReportAsync(account, container: null, blob: null, call.Aborted).ConfigureAwait(false);
        await DownloadAsync(call, Encoding.UTF8.GetBytes(note), "text/plain; charset=utf-8", $"{account}-placement-report.txt").ConfigureAwait(false);
    }

    private async Task TenantLogAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's log");
        long? before = null;
        if (call.Query("before") is { } text)
        {
            before = ParseIndex(text) ?? throw new ManagementException(400, nameof(ErrorCode.InvalidAuditRange), "'before' is a non-negative decimal integer.");
        }

        await RenderLogAsync(call, await TenantData.GetLogPageAsync(Services, account, before, call.Aborted).ConfigureAwait(false), inclusion: null, consistency: null, formError: null, status: 200).ConfigureAwait(false);
    }

    private async Task TenantCheckpointAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's log");
        var page = await TenantData.GetLogPageAsync(Services, account, before: 0, call.Aborted).ConfigureAwait(false);
        await DownloadAsync(call, Encoding.UTF8.GetBytes(page.CheckpointNote), "text/plain; charset=utf-8", $"{account}-checkpoint-{page.Size.ToString(CultureInfo.InvariantCulture)}.txt").ConfigureAwait(false);
    }

    private async Task TenantInclusionAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's log");
        var page = await TenantData.GetLogPageAsync(Services, account, before: null, call.Aborted).ConfigureAwait(false);
        var index = call.Query("index") is { } indexText ? ParseIndex(indexText.Trim()) : null;
        if (index is null)
        {
            await RenderLogAsync(call, page, null, null, "The entry index is a non-negative whole number (the log's entries are numbered from 0).", 400).ConfigureAwait(false);
            return;
        }

        byte[]? leafHash = null;
        if (call.Query("leafHash") is { Length: > 0 } hashText && !string.IsNullOrWhiteSpace(hashText))
        {
            leafHash = LogChecks.ParseHash(hashText);
            if (leafHash is null)
            {
                await RenderLogAsync(call, page, null, null, "A leaf hash is 64 hexadecimal digits or the base64 of 32 bytes (as the log's entries list shows it).", 400).ConfigureAwait(false);
                return;
            }
        }

        var result = await TenantData.CheckInclusionAsync(Services, account, index.Value, leafHash, call.Aborted).ConfigureAwait(false);
        await RenderLogAsync(call, page, result, null, null, 200).ConfigureAwait(false);
    }

    private async Task TenantConsistencyAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's log");
        var page = await TenantData.GetLogPageAsync(Services, account, before: null, call.Aborted).ConfigureAwait(false);
        if (call.Query("checkpoint") is not { } earlier || string.IsNullOrWhiteSpace(earlier))
        {
            await RenderLogAsync(call, page, null, null, "Paste a checkpoint you kept (the signed note, all its lines).", 400).ConfigureAwait(false);
            return;
        }

        var result = await TenantData.CheckConsistencyAsync(Services, account, earlier, call.Aborted).ConfigureAwait(false);
        await RenderLogAsync(call, page, null, result, null, 200).ConfigureAwait(false);
    }

    private static Task RenderLogAsync(ConsoleCall call, LogPageView page, InclusionCheckResult? inclusion, ConsistencyCheckResult? consistency, string? formError, int status) =>
        call.PageAsync<TenantLogPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Log"] = page,
            ["Inclusion"] = inclusion,
            ["Consistency"] = consistency,
            ["FormError"] = formError,
            ["IndexText"] = call.Query("index"),
            ["LeafHashText"] = call.Query("leafHash"),
        }, status);

    private async Task TenantRequestsPageAsync(ConsoleCall call, string? error, int status)
    {
        var account = TenantAccount(call, "read this account's requests");
        await call.PageAsync<TenantRequestsPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Lockbox"] = await TenantData.ListLockboxAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false),
            ["Transfers"] = await TenantData.ListTransfersAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false),
            ["Error"] = error,
        }, status).ConfigureAwait(false);
    }

    private async Task TenantGrantsPageAsync(ConsoleCall call, string? error, int status)
    {
        var account = TenantAccount(call, "read this account's grants");
        await call.PageAsync<TenantGrantsPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Lockbox"] = await TenantData.ListLockboxAsync(Services, call.Principal, account, call.Aborted).ConfigureAwait(false),
            ["Error"] = error,
        }, status).ConfigureAwait(false);
    }

    /// <summary>
    /// Approve, deny or revoke through the access services (they decide from the principal, record
    /// the entry, and refuse a request of another account as not found). Success: 303 to the page
    /// with a notice. A stale action (decided, expired, revoked meanwhile) or an unknown id: that
    /// page again, with the service's reason and its status, and nothing changed.
    /// </summary>
    private async Task TenantDecideAsync(ConsoleCall call, string page, Func<AuthenticatedPrincipal, string, Task<string>> decide)
    {
        _ = TenantAccount(call, "decide this account's requests");
        string notice;
        try
        {
            notice = await decide(call.Principal, call.Value("id")).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code is ErrorCode.InvalidAccessState or ErrorCode.LockboxRequestNotFound or ErrorCode.TransferNotFound
            or ErrorCode.InvalidAccessRequest or ErrorCode.RoleNotPermitted or ErrorCode.SelfApprovalNotAllowed)
        {
            var (status, _, message) = ManagementErrors.Map(exception.Code, exception.Message);
            var text = exception.Code switch
            {
                ErrorCode.InvalidAccessState => "Nothing was changed: " + message + " The list below shows its current state.",
                ErrorCode.LockboxRequestNotFound or ErrorCode.TransferNotFound => "Nothing was changed: there is no such request in your account.",
                _ => "Nothing was changed: " + message,
            };
            if (page == TenantGrantsPath)
            {
                await TenantGrantsPageAsync(call, text, status).ConfigureAwait(false);
            }
            else
            {
                await TenantRequestsPageAsync(call, text, status).ConfigureAwait(false);
            }

            return;
        }

        call.SeeOther(page, notice);
    }

    /// <summary>The optional reason of a denial (the services bound and check it).</summary>
    private static string? Reason(ConsoleCall call) => call.Field("reason") is { } reason && !string.IsNullOrWhiteSpace(reason) ? reason.Trim() : null;

    private async Task TenantKeysAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's keys");
        var keys = Services.AccountKeys is { } read ? await read(account, call.Aborted).ConfigureAwait(false) : null;
        await call.PageAsync<TenantKeysPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Keys"] = keys,
        }).ConfigureAwait(false);
    }

    private async Task TenantCertificatesAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's destruction certificates");
        var certificates = Services.Certificates ?? throw new InvalidOperationException("the console was composed without the certificate service");
        var destruction = Services.Destruction ?? throw new InvalidOperationException("the console was composed without the destruction service");
        await call.PageAsync<TenantCertificatesPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Certificates"] = await certificates.ListAsync(account, call.Aborted).ConfigureAwait(false),
            ["Destructions"] = await destruction.ListDestructionsAsync(account, call.Aborted).ConfigureAwait(false),
        }).ConfigureAwait(false);
    }

    private async Task TenantCertificateAsync(ConsoleCall call)
    {
        var certificate = await FindTenantCertificateAsync(call).ConfigureAwait(false);
        var audit = Services.Audit ?? throw new InvalidOperationException("the console was composed without the transparency log");

        // Checked with the certificate verifier against the key of the account's log, as a tenant would.
        var verification = Destruction.CertificateVerifier.Verify(certificate.Document, certificate.Signature, audit.VerifierKey(certificate.Account));
        await call.PageAsync<TenantCertificatePage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Certificate"] = certificate,
            ["Verification"] = verification,
        }).ConfigureAwait(false);
    }

    /// <summary>The exact signed bytes, as <c>GET v1/accounts/{account}/certificates/{id}</c> answers them (the signature in its header too).</summary>
    private async Task TenantCertificateDocumentAsync(ConsoleCall call)
    {
        var certificate = await FindTenantCertificateAsync(call).ConfigureAwait(false);
        call.Context.Response.Headers[ManagementProtocolHandler.SignatureHeader] = Convert.ToBase64String(certificate.Signature);
        call.Context.Response.Headers[ManagementProtocolHandler.RevisionHeader] = certificate.Revision.ToString(CultureInfo.InvariantCulture);
        await DownloadAsync(call, certificate.Document, "application/json", $"{certificate.DestructionId}-r{certificate.Revision.ToString(CultureInfo.InvariantCulture)}.json").ConfigureAwait(false);
    }

    private async Task TenantCertificateSignatureAsync(ConsoleCall call)
    {
        var certificate = await FindTenantCertificateAsync(call).ConfigureAwait(false);
        await DownloadAsync(call, Encoding.ASCII.GetBytes(Convert.ToBase64String(certificate.Signature) + "\n"), "text/plain; charset=utf-8", $"{certificate.DestructionId}-r{certificate.Revision.ToString(CultureInfo.InvariantCulture)}.sig").ConfigureAwait(false);
    }

    private Task<Destruction.DestructionCertificate> FindTenantCertificateAsync(ConsoleCall call)
    {
        var account = TenantAccount(call, "read this account's destruction certificates");
        var certificates = Services.Certificates ?? throw new InvalidOperationException("the console was composed without the certificate service");
        int? revision = null;
        if (call.Query("revision") is { } text)
        {
            revision = text.Length is > 0 and <= 9 && text[0] != '0' && text.All(char.IsAsciiDigit)
                ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
                : throw new ManagementException(400, "InvalidQueryParameterValue", "revision is a positive decimal integer without sign or leading zeros.");
        }

        return certificates.GetAsync(account, call.Value("id"), revision, call.Aborted);
    }

    /// <summary>Answers <paramref name="bytes"/> as a download (an attachment named <paramref name="fileName"/>).</summary>
    private static async Task DownloadAsync(ConsoleCall call, byte[] bytes, string contentType, string fileName)
    {
        var response = call.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        if (!HttpMethods.IsHead(call.Context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, call.Aborted).ConfigureAwait(false);
        }
    }

    /// <summary>A non-negative decimal index (digits only, no leading zero), or null.</summary>
    private static long? ParseIndex(string text) =>
        text.Length is > 0 and <= 18 && (text.Length == 1 || text[0] != '0') && text.All(char.IsAsciiDigit)
            ? long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
}
