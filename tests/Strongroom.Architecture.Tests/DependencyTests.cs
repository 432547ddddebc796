using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Strongroom.Architecture.Tests;

/// <summary>
/// Dependencies point one way: protocol → service → storage/vault → core. This is the one table of
/// the allowed direct references between our assemblies; ARCHITECTURE.md mirrors it. A new project
/// must add its row here, which is the moment to decide what it may see.
/// </summary>
public sealed class DependencyTests
{
    private const string Core = "Strongroom.Core";
    private const string Crypto = "Strongroom.Crypto";
    private const string Vault = "Strongroom.Vault";
    private const string Storage = "Strongroom.Storage";
    private const string Blobs = "Strongroom.Blobs";
    private const string ProtocolBlob = "Strongroom.Protocol.Blob";
    private const string KeyVault = "Strongroom.KeyVault";
    private const string ProtocolKeyVault = "Strongroom.Protocol.KeyVault";
    private const string Audit = "Strongroom.Audit";
    private const string Placement = "Strongroom.Placement";
    private const string ProtocolTransparency = "Strongroom.Protocol.Transparency";
    private const string Access = "Strongroom.Access";
    private const string ProtocolManagement = "Strongroom.Protocol.Management";
    private const string Destruction = "Strongroom.Destruction";
    private const string WebConsole = "Strongroom.WebConsole";
    private const string Server = "Strongroom.Server";
    private const string Cli = "strongroom";

    public static readonly IReadOnlyDictionary<string, string[]> AllowedReferences = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [Core] = [],
        [Crypto] = [Core],
        [Vault] = [Core, Crypto],
        [Storage] = [Core],
        [Audit] = [Core, Crypto, Vault, Storage],
        [Placement] = [Core, Storage, Audit],
        [Blobs] = [Core, Crypto, Vault, Storage, Audit, Placement],
        [ProtocolBlob] = [Core, Blobs],
        [KeyVault] = [Core, Crypto, Vault, Storage, Audit],
        [ProtocolKeyVault] = [Core, KeyVault],
        [ProtocolTransparency] = [Core, Audit, Placement],
        [Access] = [Core, Crypto, Vault, Storage, Audit, Placement],
        [Destruction] = [Core, Crypto, Vault, Storage, Audit, Placement],
        [ProtocolManagement] = [Core, Access, Audit, Placement, Destruction],
        // The web console is a second face of the management plane: the same services and the API's own rules.
        [WebConsole] = [Core, Access, Audit, Placement, Destruction, ProtocolManagement],
        [Server] = [Core, Crypto, Vault, Storage, Blobs, ProtocolBlob, KeyVault, ProtocolKeyVault, Audit, ProtocolTransparency, Placement, Access, ProtocolManagement, Destruction, WebConsole],
        [Cli] = [Core, Vault, Blobs, KeyVault, Server, Audit, Placement, Access, Destruction],
    };

    /// <summary>Edges that must never appear, with the reason, so loosening the table above by mistake still fails.</summary>
    public static readonly IReadOnlyList<(string From, string To, string Reason)> ForbiddenReferences =
    [
        (ProtocolBlob, Storage, "the protocol layer reaches data only through the blob service, never a site or the store"),
        (ProtocolBlob, Vault, "the protocol layer never handles key material"),
        (ProtocolBlob, Crypto, "the protocol layer never encrypts or decrypts"),
        (Storage, Vault, "storage never sees a key"),
        (Storage, Crypto, "storage never sees a key"),
        (Crypto, Storage, "crypto does no I/O"),
        (Crypto, Vault, "crypto is below the vault"),
        (Crypto, Blobs, "crypto is below the services"),
        (Crypto, ProtocolBlob, "crypto knows no wire format"),
        (Crypto, Server, "crypto knows no host"),
        (Vault, Storage, "the vault persists only its own files; tenants' wrapped keys are stored by the services"),
        (Blobs, ProtocolBlob, "services know no wire format"),
        (Blobs, Server, "services know no host"),
        (ProtocolKeyVault, Storage, "the Key Vault protocol reaches items only through the vault service"),
        (ProtocolKeyVault, Vault, "the protocol layer never handles key material"),
        (ProtocolKeyVault, Crypto, "the protocol layer never encrypts or decrypts"),
        (KeyVault, ProtocolKeyVault, "services know no wire format"),
        (KeyVault, Server, "services know no host"),
        (KeyVault, Blobs, "the vault is a service beside the blob service, not above it"),
        (Audit, Blobs, "the log is below the services that record into it"),
        (Audit, KeyVault, "the log is below the services that record into it"),
        (Storage, Audit, "the store appends canonical bytes it never parses"),
        (Placement, Crypto, "placement moves ciphertext it cannot read: no key and no cipher below the blob service"),
        (Placement, Vault, "placement moves ciphertext it cannot read: no key and no cipher below the blob service"),
        (Placement, Blobs, "the blob service calls placement, never the reverse"),
        (Storage, Placement, "sites and the store know nothing of policies"),
        (ProtocolTransparency, Storage, "the log's endpoints read through the log service, never the store"),
        (ProtocolTransparency, Vault, "the protocol layer never handles key material"),
        (ProtocolManagement, Storage, "the management plane reaches principals and requests only through the access services"),
        (ProtocolManagement, Vault, "the protocol layer never handles key material"),
        (ProtocolManagement, Crypto, "the protocol layer never encrypts or decrypts"),
        (ProtocolBlob, Access, "the data plane sees a lockbox grant only through Core's IOperatorGrantValidator"),
        (Access, Blobs, "approvals sit beside the blob service, not above it"),
        (Access, ProtocolManagement, "services know no wire format"),
        (Access, Server, "services know no host"),
        (Blobs, Access, "the blob service records what an operator read; it does not decide grants"),
        (Destruction, Blobs, "destruction works on the store and the sites below the blob service, not through it"),
        (Blobs, Destruction, "the blob service reaches a destruction only through the store's contract"),
        (Destruction, ProtocolManagement, "services know no wire format"),
        (Destruction, Server, "services know no host"),
        (WebConsole, Storage, "the console reaches data only through the services the management plane calls"),
        (WebConsole, Vault, "the console never handles key material"),
        (WebConsole, Crypto, "the console never encrypts or decrypts"),
    ];

    /// <summary>Third-party edges: HTTP stays in the protocol layer and the host; SQL and the Azure SDK stay in storage; BouncyCastle stays in crypto.</summary>
    public static readonly IReadOnlyList<(string ReferencePrefix, string[] AllowedIn, string Reason)> ConfinedFrameworks =
    [
        ("Microsoft.AspNetCore", [ProtocolBlob, ProtocolKeyVault, ProtocolTransparency, ProtocolManagement, WebConsole, Server], "the protocol layer knows HTTP; nothing below it does"),
        ("Microsoft.Data.Sqlite", [Storage], "no SQL above the metadata store interface"),
        ("Npgsql", [Storage], "no SQL above the metadata store interface"),
        ("System.CommandLine", [Cli], "only the command line parses command lines"),
        ("BouncyCastle", [Crypto], "cryptographic primitives stay behind Strongroom.Crypto's cipher suites"),
        ("Azure.", [Storage], "the Azure SDK reaches remote sites only, behind ISite"),
        ("Otp.NET", [Access], "one-time codes are checked only by the identity service"),
        ("QRCoder", [Cli], "enrollment QR codes are drawn only in the terminal"),
    ];

    public static TheoryData<string> OurAssemblies() => new(AllowedReferences.Keys);

    [Fact]
    public void Every_src_project_has_a_row_in_the_table()
    {
        var assemblies = Repository.Projects("src").Select(Repository.AssemblyName).ToList();
        Assert.NotEmpty(assemblies);
        Assert.All(assemblies, assembly => Assert.True(
            AllowedReferences.ContainsKey(assembly),
            $"{assembly} has no row in DependencyTests.AllowedReferences: decide which of our assemblies it may reference."));
        Assert.All(AllowedReferences.Keys, assembly => Assert.Contains(assembly, assemblies));
    }

    [Fact]
    public void The_table_itself_respects_the_forbidden_edges()
    {
        foreach (var (from, to, reason) in ForbiddenReferences)
        {
            Assert.False(AllowedReferences[from].Contains(to), $"The table allows {from} → {to}, which is forbidden: {reason}.");
        }
    }

    [Theory]
    [MemberData(nameof(OurAssemblies))]
    public void References_only_allowed_assemblies(string assembly)
    {
        var ours = new HashSet<string>(AllowedReferences.Keys, StringComparer.Ordinal);
        var references = ReferencesOf(assembly);
        var violations = references
            .Where(reference => ours.Contains(reference) && !AllowedReferences[assembly].Contains(reference))
            .Select(reference => $"{assembly} → {reference}" + Reason(assembly, reference))
            .ToList();
        Assert.True(violations.Count == 0, "Forbidden dependency edges:\n" + string.Join('\n', violations));
    }

    [Theory]
    [MemberData(nameof(OurAssemblies))]
    public void Confined_frameworks_stay_in_their_layer(string assembly)
    {
        var violations = new List<string>();
        foreach (var reference in ReferencesOf(assembly))
        {
            foreach (var (prefix, allowedIn, reason) in ConfinedFrameworks)
            {
                if (reference.StartsWith(prefix, StringComparison.Ordinal) && !allowedIn.Contains(assembly))
                {
                    violations.Add($"{assembly} → {reference}: {reason}");
                }
            }
        }

        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    private static string Reason(string from, string to)
    {
        var forbidden = ForbiddenReferences.FirstOrDefault(edge => edge.From == from && edge.To == to);
        return forbidden.Reason is null ? " (not in the allowed table)" : $" ({forbidden.Reason})";
    }

    private static IReadOnlyList<string> ReferencesOf(string assembly)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing: reference the project from Strongroom.Architecture.Tests.csproj.");
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        var metadata = reader.GetMetadataReader();
        return metadata.AssemblyReferences
            .Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name))
            .ToList();
    }
}
