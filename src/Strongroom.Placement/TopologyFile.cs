using System.Globalization;
using System.Text;
using Strongroom.Core;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Strongroom.Placement;

/// <summary>
/// The topology file (TOML, docs/datacenters.md): parsed and validated with errors that name the
/// file, line and field; the development sample; the embedded single-site default.
/// </summary>
public static class TopologyFile
{
    public const string FileName = "topology.toml";

    /// <summary>The format version this build reads and writes.</summary>
    public const int Version = 1;

    private const string DirectoryBackend = "directory";
    private const string AzureBlobBackend = "azure-blob";

    private static readonly string[] CommonKeys = ["id", "region", "zone", "jurisdiction", "state", "backend"];
    private static readonly string[] DirectoryKeys = ["path"];
    private static readonly string[] AzureBlobKeys = ["endpoint", "container", "account", "account-key-file", "ca-certificate", "dangerous-allow-http"];

    /// <summary>Parses and validates; relative paths resolve against <paramref name="baseDirectory"/>. TopologyException with file:line: reason.</summary>
    public static Topology Parse(string text, string sourceName, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        if (Encoding.UTF8.GetByteCount(text) > Limits.TopologyFileBytesMax)
        {
            throw new TopologyException($"{sourceName}: the topology file is larger than {Limits.TopologyFileBytesMax} bytes.");
        }

        var document = SyntaxParser.Parse(text, sourceName, validate: true);
        if (document.HasErrors)
        {
            var first = document.Diagnostics.First(message => message.Kind == DiagnosticMessageKind.Error);
            throw new TopologyException($"{sourceName}:{first.Span.Start.Line + 1}: not valid TOML: {first.Message}");
        }

        return new Reader(sourceName, baseDirectory).Read(document);
    }

    /// <summary>Reads and parses the file (at most <see cref="Limits.TopologyFileBytesMax"/> bytes).</summary>
    public static Topology Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new TopologyException($"{path}: the topology file does not exist.");
            }

            if (info.Length > Limits.TopologyFileBytesMax)
            {
                throw new TopologyException($"{path}: the topology file is larger than {Limits.TopologyFileBytesMax} bytes.");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new TopologyException($"{path}: cannot read the topology file: {exception.Message}");
        }

        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The sites of the development sample, in file order: (id, region, zone, jurisdiction).</summary>
    internal static IReadOnlyList<(string Id, string Region, string Zone, string Jurisdiction)> DevelopmentSites { get; } =
    [
        ("cn-east-1a", "cn-east", "cn-east-1", "CN"),
        ("cn-east-2a", "cn-east", "cn-east-2", "CN"),
        ("cn-east-3a", "cn-east", "cn-east-3", "CN"),
        ("cn-north-1a", "cn-north", "cn-north-1", "CN"),
        ("cn-north-1b", "cn-north", "cn-north-1", "CN"),
        ("cn-north-2a", "cn-north", "cn-north-2", "CN"),
        ("eu-west-1a", "eu-west", "eu-west-1", "EU"),
        ("eu-west-2a", "eu-west", "eu-west-2", "EU"),
        ("eu-west-3a", "eu-west", "eu-west-3", "EU"),
    ];

    /// <summary>
    /// The development sample: local directories under <paramref name="sitesDirectory"/> — region
    /// <c>cn-east</c> (CN, three zones), region <c>cn-north</c> (CN, two zones), region <c>eu-west</c> (EU).
    /// A relative <paramref name="sitesDirectory"/> is written as given, so it resolves against the file's directory.
    /// </summary>
    public static string DevelopmentSample(string sitesDirectory)
    {
        ArgumentNullException.ThrowIfNull(sitesDirectory);
        var text = new StringBuilder();
        text.Append("""
            # Strongroom topology: the development sample (docs/datacenters.md).
            # Nine local directories standing in for datacenters: region cn-east (CN) with three
            # zones, region cn-north (CN) with two zones (two sites in cn-north-1), region eu-west (EU)
            # with three zones. The deployment default policy keeps accounts in cn-east, inside CN,
            # with cn-north as the secondary region.
            version = 1

            """);
        foreach (var (id, region, zone, jurisdiction) in DevelopmentSites)
        {
            text.Append(CultureInfo.InvariantCulture, $"""

                [[site]]
                id = "{id}"
                region = "{region}"
                zone = "{zone}"
                jurisdiction = "{jurisdiction}"
                backend = "directory"
                path = {Quote(JoinPath(sitesDirectory, id))}

                """);
        }

        return text.ToString();
    }

    /// <summary>The embedded default written for a new production data directory: <see cref="Topology.SingleLocalSite"/> as text.</summary>
    public static string SingleSite(string siteDirectory)
    {
        ArgumentNullException.ThrowIfNull(siteDirectory);
        var site = Topology.SingleLocalSite(siteDirectory).Sites[0].Descriptor;
        return $"""
            # Strongroom topology (docs/datacenters.md): one local directory site.
            # Set the jurisdiction to where this machine is: an ISO 3166-1 alpha-2 code (CN, DE, ...)
            # or EU. "{Topology.UnspecifiedJurisdiction}" means unspecified; accounts created before the change keep
            # the residency they were given. Add sites (directories or Azure Blob endpoints in other
            # datacenters) as more [[site]] tables.
            version = 1

            [[site]]
            id = "{site.Id}"
            region = "{site.Region}"
            zone = "{site.Zone}"
            jurisdiction = "{site.Jurisdiction}"
            backend = "directory"
            path = {Quote(siteDirectory)}

            """;
    }

    private static string JoinPath(string directory, string name) =>
        directory.Length == 0 ? name
        : directory.EndsWith('/') || directory.EndsWith(Path.DirectorySeparatorChar) ? directory + name
        : directory + "/" + name;

    /// <summary>A TOML basic string.</summary>
    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case < ' ' or '\u007f': quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"); break;
                default: quoted.Append(c); break;
            }
        }

        return quoted.Append('"').ToString();
    }

    /// <summary>One pass over the syntax tree, keeping the line of every value so errors can name it.</summary>
    private sealed class Reader(string source, string baseDirectory)
    {
        private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

        public Topology Read(DocumentSyntax document)
        {
            int? version = null;
            foreach (var entry in document.KeyValues)
            {
                var key = KeyName(entry);
                var line = Line(entry);
                if (key != "version")
                {
                    throw Error(line, $"unknown key '{key}' (the top level has only 'version'; sites are [[site]] tables).");
                }

                if (entry.Value is not IntegerValueSyntax integer)
                {
                    throw Error(line, "'version' must be an integer.");
                }

                if (integer.Value != Version)
                {
                    throw Error(line, $"version {integer.Value} is not supported: this Strongroom reads version {Version}.");
                }

                version = Version;
            }

            if (version is null)
            {
                throw Error(1, $"missing key 'version' (write 'version = {Version}' before the first [[site]]).");
            }

            var sites = new List<SiteDefinition>();
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var directories = new List<(string Path, string Site, int Line)>();
            var zoneRegions = new Dictionary<string, (string Region, string Site)>(StringComparer.Ordinal);
            var regionJurisdictions = new Dictionary<string, (string Jurisdiction, string Site)>(StringComparer.Ordinal);
            foreach (var table in document.Tables)
            {
                var line = Line(table);
                var name = TableName(table);
                if (table is not TableArraySyntax || name != "site")
                {
                    throw Error(line, table is TableArraySyntax
                        ? $"unknown table [[{name}]] (sites are [[site]] tables)."
                        : $"unknown table [{name}] (sites are [[site]] tables, with two brackets).");
                }

                if (sites.Count == Limits.TopologySitesMax)
                {
                    throw Error(line, $"more than {Limits.TopologySitesMax} sites.");
                }

                var site = ReadSite(table, line);
                var descriptor = site.Definition.Descriptor;
                if (ids.TryGetValue(descriptor.Id, out var firstLine))
                {
                    throw Error(site.Lines["id"], $"field 'id': the site id '{descriptor.Id}' is already used by the site at line {firstLine}.");
                }

                ids[descriptor.Id] = line;
                if (zoneRegions.TryGetValue(descriptor.Zone, out var zone) && zone.Region != descriptor.Region)
                {
                    throw Error(site.Lines["zone"], $"field 'zone': zone '{descriptor.Zone}' is in region '{zone.Region}' (site {zone.Site}), so it cannot also be in region '{descriptor.Region}'; a zone belongs to one region.");
                }

                zoneRegions.TryAdd(descriptor.Zone, (descriptor.Region, descriptor.Id));
                if (regionJurisdictions.TryGetValue(descriptor.Region, out var region) && region.Jurisdiction != descriptor.Jurisdiction)
                {
                    throw Error(site.Lines["jurisdiction"], $"field 'jurisdiction': region '{descriptor.Region}' is in {region.Jurisdiction} (site {region.Site}), so site {descriptor.Id} cannot be in {descriptor.Jurisdiction}; every site of a region shares its jurisdiction.");
                }

                regionJurisdictions.TryAdd(descriptor.Region, (descriptor.Jurisdiction, descriptor.Id));
                if (site.Definition.Backend is LocalDirectoryBackendOptions local)
                {
                    var full = Normalize(local.Path);
                    foreach (var other in directories)
                    {
                        if (string.Equals(full, other.Path, PathComparison))
                        {
                            throw Error(site.Lines["path"], $"field 'path': site {descriptor.Id} uses the same directory as site {other.Site} (line {other.Line}): {full}.");
                        }

                        if (IsInside(full, other.Path) || IsInside(other.Path, full))
                        {
                            throw Error(site.Lines["path"], $"field 'path': the directory of site {descriptor.Id} ({full}) and that of site {other.Site} (line {other.Line}, {other.Path}) are nested; each site needs a directory of its own.");
                        }
                    }

                    directories.Add((full, descriptor.Id, site.Lines["path"]));
                }

                sites.Add(site.Definition);
            }

            if (!sites.Any(site => site.Descriptor.State == SiteState.Active))
            {
                throw new TopologyException(sites.Count == 0
                    ? $"{source}: no site: declare at least one [[site]] table."
                    : $"{source}: no site is active: at least one site must have state = \"active\" (the default).");
            }

            return new Topology(sites);
        }

        private (SiteDefinition Definition, Dictionary<string, int> Lines) ReadSite(TableSyntaxBase table, int tableLine)
        {
            var values = new Dictionary<string, ValueSyntax>(StringComparer.Ordinal);
            var lines = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in table.Items)
            {
                var key = KeyName(item);
                var line = Line(item);
                if (!CommonKeys.Contains(key) && !DirectoryKeys.Contains(key) && !AzureBlobKeys.Contains(key))
                {
                    throw Error(line, $"unknown key '{key}' in [[site]] (allowed: {string.Join(", ", CommonKeys.Concat(DirectoryKeys).Concat(AzureBlobKeys))}).");
                }

                if (!values.TryAdd(key, item.Value!))
                {
                    throw Error(line, $"key '{key}' appears twice in this [[site]].");
                }

                lines[key] = line;
            }

            string Required(string key)
            {
                if (!values.TryGetValue(key, out var value))
                {
                    throw Error(tableLine, $"[[site]] is missing the key '{key}'.");
                }

                return String(key, value, lines[key]);
            }

            string? Optional(string key) => values.TryGetValue(key, out var value) ? String(key, value, lines[key]) : null;

            var id = Name("id", Required("id"), lines);
            var region = Name("region", Required("region"), lines);
            var zone = Name("zone", Required("zone"), lines);
            var jurisdiction = Required("jurisdiction");
            if (!PlacementNames.IsValidJurisdiction(jurisdiction))
            {
                throw Error(lines["jurisdiction"], $"field 'jurisdiction': '{Shorten(jurisdiction)}' is not two uppercase letters (an ISO 3166-1 alpha-2 code such as CN or DE, or EU).");
            }

            var state = Optional("state") switch
            {
                null or "active" => SiteState.Active,
                "draining" => SiteState.Draining,
                "removed" => SiteState.Removed,
                var other => throw Error(lines["state"], $"field 'state': '{Shorten(other)}' is not a site state (active, draining or removed)."),
            };

            var backendName = Required("backend");
            var (kind, allowed) = backendName switch
            {
                DirectoryBackend => (SiteBackendKind.LocalDirectory, DirectoryKeys),
                AzureBlobBackend => (SiteBackendKind.AzureBlob, AzureBlobKeys),
                _ => throw Error(lines["backend"], $"field 'backend': '{Shorten(backendName)}' is not a backend (directory or azure-blob)."),
            };

            foreach (var key in values.Keys.Where(key => !CommonKeys.Contains(key) && !allowed.Contains(key)))
            {
                throw Error(lines[key], $"key '{key}' does not apply to backend '{backendName}' (it takes: {string.Join(", ", allowed)}).");
            }

            SiteBackendOptions backend;
            if (kind == SiteBackendKind.LocalDirectory)
            {
                var path = Required("path");
                if (path.Trim().Length == 0)
                {
                    throw Error(lines["path"], "field 'path' is empty.");
                }

                backend = new LocalDirectoryBackendOptions(Resolve(path));
            }
            else
            {
                var endpointText = Required("endpoint");
                var allowHttp = values.TryGetValue("dangerous-allow-http", out var allowValue) && Boolean("dangerous-allow-http", allowValue, lines["dangerous-allow-http"]);
                if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp) || endpoint.Host.Length == 0)
                {
                    throw Error(lines["endpoint"], $"field 'endpoint': '{Shorten(endpointText)}' is not an https:// URL.");
                }

                if (!string.IsNullOrEmpty(endpoint.UserInfo) || !string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment))
                {
                    throw Error(lines["endpoint"], "field 'endpoint': the URL must not carry credentials, a query or a fragment (the key is read from account-key-file).");
                }

                if (endpoint.Scheme == Uri.UriSchemeHttp && !allowHttp)
                {
                    throw Error(lines["endpoint"], "field 'endpoint': plain http:// sends the site's ciphertext and signed requests unencrypted; use https://, or set dangerous-allow-http = true (tests against a local emulator only).");
                }

                var container = Required("container");
                if (!Names.IsValidContainerName(container))
                {
                    throw Error(lines["container"], $"field 'container': '{Shorten(container)}' is not a container name (3 to 63 lowercase letters, digits and single hyphens).");
                }

                var account = Required("account");
                if (!Names.IsValidAccountName(account))
                {
                    throw Error(lines["account"], $"field 'account': '{Shorten(account)}' is not an account name (3 to 24 lowercase letters and digits).");
                }

                var keyFile = Required("account-key-file");
                if (keyFile.Trim().Length == 0)
                {
                    throw Error(lines["account-key-file"], "field 'account-key-file' is empty.");
                }

                var caCertificate = Optional("ca-certificate");
                if (caCertificate is not null && caCertificate.Trim().Length == 0)
                {
                    throw Error(lines["ca-certificate"], "field 'ca-certificate' is empty (leave it out to trust the system's certificate authorities).");
                }

                backend = new AzureBlobBackendOptions(endpoint, container, account, Resolve(keyFile), caCertificate is null ? null : Resolve(caCertificate), allowHttp);
            }

            return (new SiteDefinition(new SiteDescriptor(id, region, zone, jurisdiction, kind, state), backend), lines);
        }

        private string Name(string key, string value, Dictionary<string, int> lines)
        {
            if (!PlacementNames.IsValidName(value))
            {
                throw Error(lines[key], $"field '{key}': '{Shorten(value)}' is not a valid name (1 to 63 of a-z, 0-9 and '-', starting with a letter or digit).");
            }

            return value;
        }

        private string String(string key, ValueSyntax value, int line) =>
            value is StringValueSyntax text ? text.Value ?? string.Empty : throw Error(line, $"field '{key}' must be a string (in quotes), not {Describe(value)}.");

        private bool Boolean(string key, ValueSyntax value, int line) =>
            value is BooleanValueSyntax boolean ? boolean.Value : throw Error(line, $"field '{key}' must be true or false, not {Describe(value)}.");

        private static string Describe(ValueSyntax value) => value switch
        {
            StringValueSyntax => "a string",
            IntegerValueSyntax => "an integer",
            FloatValueSyntax => "a number",
            BooleanValueSyntax => "a boolean",
            ArraySyntax => "an array",
            InlineTableSyntax => "a table",
            DateTimeValueSyntax => "a date",
            _ => "a " + value.Kind.ToString().ToLowerInvariant(),
        };

        private string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path));

        private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

        private static bool IsInside(string path, string directory) =>
            path.Length > directory.Length + 1
            && path.StartsWith(directory, PathComparison)
            && (path[directory.Length] == Path.DirectorySeparatorChar || path[directory.Length] == Path.AltDirectorySeparatorChar || directory.EndsWith(Path.DirectorySeparatorChar));

        private string KeyName(KeyValueSyntax entry)
        {
            if (entry.Key is null)
            {
                throw Error(Line(entry), "a key is missing.");
            }

            var name = KeyText(entry.Key);
            if (name is null)
            {
                throw Error(Line(entry), $"dotted key '{entry.Key}' is not allowed here.");
            }

            return name;
        }

        private string TableName(TableSyntaxBase table) =>
            table.Name is null ? string.Empty : KeyText(table.Name) ?? table.Name.ToString().Trim();

        /// <summary>A plain (not dotted) key's text; null for a dotted key.</summary>
        private static string? KeyText(KeySyntax key)
        {
            if (key.DotKeys.ChildrenCount > 0)
            {
                return null;
            }

            return key.Key switch
            {
                BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
                StringValueSyntax quoted => quoted.Value ?? string.Empty,
                var other => other?.ToString()?.Trim() ?? string.Empty,
            };
        }

        private static int Line(SyntaxNodeBase node) => node.Span.Start.Line + 1;

        private TopologyException Error(int line, string message) => new($"{source}:{line}: {message}");

        private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
    }
}
