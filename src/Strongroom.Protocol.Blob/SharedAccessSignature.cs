using System.Globalization;
using System.Net;
using System.Text;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>Which kind of shared access signature a request carries.</summary>
public enum SasKind
{
    /// <summary>An account SAS (<c>ss</c>, <c>srt</c>): any service-, container- or object-level operation the services, resource types and permissions allow.</summary>
    Account,

    /// <summary>A service SAS (<c>sr</c>): one container, blob, snapshot or version.</summary>
    Service,
}

/// <summary>
/// The parameters of a shared access signature exactly as received (percent-decoded once, never
/// re-normalised: the signature covers the text the client signed), and the strings-to-sign of
/// reference §1.2 (account SAS) and §1.3 (service SAS), built as Azure and the Azure SDK's
/// <c>AccountSasBuilder</c> and <c>BlobSasBuilder</c> build them, for every signed version layout.
/// Pure: no keys, no clock, no I/O.
/// </summary>
public sealed class SharedAccessSignature
{
    // Versions whose string-to-sign layout changed (compared ordinally: the format is yyyy-MM-dd).
    private const string EncryptionScopeVersion = "2020-12-06";
    private const string SignedResourceVersion = "2018-11-09";
    private const string OldestVersion = "2015-04-05";

    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mm'Z'",
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mmzzz",
        "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
    ];

    private SharedAccessSignature(Func<string, string?> get, SasKind kind)
    {
        Kind = kind;
        Version = get("sv") ?? string.Empty;
        Services = get("ss") ?? string.Empty;
        ResourceTypes = get("srt") ?? string.Empty;
        Resource = get("sr") ?? string.Empty;
        Permissions = get("sp") ?? string.Empty;
        Start = get("st") ?? string.Empty;
        Expiry = get("se") ?? string.Empty;
        Identifier = get("si") ?? string.Empty;
        IPRange = get("sip") ?? string.Empty;
        Protocol = get("spr") ?? string.Empty;
        EncryptionScope = get("ses") ?? string.Empty;
        CacheControl = get("rscc") ?? string.Empty;
        ContentDisposition = get("rscd") ?? string.Empty;
        ContentEncoding = get("rsce") ?? string.Empty;
        ContentLanguage = get("rscl") ?? string.Empty;
        ContentType = get("rsct") ?? string.Empty;
        Signature = get("sig") ?? string.Empty;
    }

    public SasKind Kind { get; }

    public string Version { get; }

    public string Services { get; }

    public string ResourceTypes { get; }

    public string Resource { get; }

    public string Permissions { get; }

    public string Start { get; }

    public string Expiry { get; }

    public string Identifier { get; }

    public string IPRange { get; }

    public string Protocol { get; }

    public string EncryptionScope { get; }

    public string CacheControl { get; }

    public string ContentDisposition { get; }

    public string ContentEncoding { get; }

    public string ContentLanguage { get; }

    public string ContentType { get; }

    public string Signature { get; }

    /// <summary>True when the SAS overrides any response header of Get Blob (rscc, rscd, rsce, rscl, rsct).</summary>
    public bool HasResponseHeaderOverrides =>
        CacheControl.Length + ContentDisposition.Length + ContentEncoding.Length + ContentLanguage.Length + ContentType.Length > 0;

    /// <summary>
    /// Reads the SAS of a request target, or throws 403 AuthenticationFailed for one that cannot be
    /// a SAS this server verifies: a user delegation SAS (there is no Microsoft Entra ID here), a
    /// version older than 2015-04-05, a missing sv or sig, both or neither of sr and ss/srt.
    /// </summary>
    public static SharedAccessSignature Parse(RequestTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        string? Get(string name)
        {
            var value = target.GetQuery(name);
            if (value is { Length: > Limits.SasParameterCharsMax })
            {
                throw Failed($"The value of '{name}' is too long.");
            }

            return value;
        }

        if (Get("skoid") is not null || Get("sktid") is not null)
        {
            throw Failed("User delegation SAS is not supported: this server has no Microsoft Entra ID. Use an account SAS or a service SAS signed with an account key.");
        }

        var isService = Get("sr") is not null;
        var isAccount = Get("ss") is not null || Get("srt") is not null;
        if (isService == isAccount)
        {
            throw Failed("Signature fields not well formed.");
        }

        var sas = new SharedAccessSignature(Get, isService ? SasKind.Service : SasKind.Account);
        if (sas.Version.Length == 0)
        {
            throw Failed("sv is mandatory. Cannot be empty");
        }

        if (sas.Signature.Length == 0)
        {
            throw Failed("sig is mandatory. Cannot be empty");
        }

        if (!IsVersion(sas.Version) || string.CompareOrdinal(sas.Version, OldestVersion) < 0)
        {
            throw Failed($"The signed version '{sas.Version}' is not supported: this server verifies SAS of version {OldestVersion} and later.");
        }

        if (sas.Kind == SasKind.Account && sas.Identifier.Length > 0)
        {
            throw Failed("Signature fields not well formed.");
        }

        return sas;
    }

    /// <summary>The account SAS string-to-sign (reference §1.2): the ses line from 2020-12-06 on, and a trailing newline.</summary>
    public string AccountStringToSign(string account)
    {
        var builder = new StringBuilder(256);
        builder.Append(account).Append('\n')
            .Append(Permissions).Append('\n')
            .Append(Services).Append('\n')
            .Append(ResourceTypes).Append('\n')
            .Append(Start).Append('\n')
            .Append(Expiry).Append('\n')
            .Append(IPRange).Append('\n')
            .Append(Protocol).Append('\n')
            .Append(Version).Append('\n');
        if (string.CompareOrdinal(Version, EncryptionScopeVersion) >= 0)
        {
            builder.Append(EncryptionScope).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>
    /// The service SAS string-to-sign (reference §1.3) for <paramref name="canonicalResource"/>
    /// (<c>/blob/account/container[/blob]</c>) and the snapshot or version id the request names
    /// (only for sr=bs and sr=bv). Three layouts: 2020-12-06 and later (with ses), 2018-11-09 and
    /// later (with sr and the snapshot line), 2015-04-05 and later (neither).
    /// </summary>
    public string ServiceStringToSign(string canonicalResource, string? snapshotOrVersion)
    {
        var builder = new StringBuilder(256);
        builder.Append(Permissions).Append('\n')
            .Append(Start).Append('\n')
            .Append(Expiry).Append('\n')
            .Append(canonicalResource).Append('\n')
            .Append(Identifier).Append('\n')
            .Append(IPRange).Append('\n')
            .Append(Protocol).Append('\n')
            .Append(Version).Append('\n');
        if (string.CompareOrdinal(Version, SignedResourceVersion) >= 0)
        {
            builder.Append(Resource).Append('\n')
                .Append(snapshotOrVersion).Append('\n');
            if (string.CompareOrdinal(Version, EncryptionScopeVersion) >= 0)
            {
                builder.Append(EncryptionScope).Append('\n');
            }
        }

        builder.Append(CacheControl).Append('\n')
            .Append(ContentDisposition).Append('\n')
            .Append(ContentEncoding).Append('\n')
            .Append(ContentLanguage).Append('\n')
            .Append(ContentType);
        return builder.ToString();
    }

    /// <summary>The canonical resource of a service SAS: <c>/blob/{account}/{container}</c> or <c>/blob/{account}/{container}/{blob}</c> (names decoded, as signed).</summary>
    public static string CanonicalResource(string account, string container, string? blob) =>
        blob is null ? $"/blob/{account}/{container}" : $"/blob/{account}/{container}/{blob}";

    /// <summary>
    /// A signed time (st, se, or a stored policy's): ISO 8601 in UTC as Azure accepts it — a date,
    /// or a date and time to the minute, second or fraction, with Z or an offset.
    /// </summary>
    public static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>
    /// Whether <paramref name="address"/> is inside a signed IP range: one address, or
    /// <c>low-high</c> inclusive, of the same family (an IPv4-mapped IPv6 client counts as IPv4).
    /// False for a range that does not parse.
    /// </summary>
    public static bool IsInRange(string range, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var lowText = dash < 0 ? range : range[..dash];
        var highText = dash < 0 ? range : range[(dash + 1)..];
        if (!IPAddress.TryParse(lowText, out var low) || !IPAddress.TryParse(highText, out var high)
            || low.AddressFamily != address.AddressFamily || high.AddressFamily != address.AddressFamily)
        {
            return false;
        }

        var value = address.GetAddressBytes();
        return Compare(low.GetAddressBytes(), value) <= 0 && Compare(value, high.GetAddressBytes()) <= 0;
    }

    /// <summary>True when <paramref name="range"/> is one IP address or a <c>low-high</c> range of one family.</summary>
    public static bool IsWellFormedRange(string range)
    {
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var lowText = dash < 0 ? range : range[..dash];
        var highText = dash < 0 ? range : range[(dash + 1)..];
        return IPAddress.TryParse(lowText, out var low) && IPAddress.TryParse(highText, out var high)
            && low.AddressFamily == high.AddressFamily && Compare(low.GetAddressBytes(), high.GetAddressBytes()) <= 0;
    }

    private static int Compare(byte[] x, byte[] y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] != y[i])
            {
                return x[i].CompareTo(y[i]);
            }
        }

        return 0;
    }

    private static bool IsVersion(string version) =>
        DateTime.TryParseExact(version, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    internal static BlobProtocolException Failed(string detail) =>
        new(ErrorMapping.AuthenticationFailed, detail, [new("AuthenticationErrorDetail", detail)]);
}
