using System.Net;
using System.Net.Sockets;
using Strongroom.Bench;

const string Usage = """
    Strongroom.Bench: end-to-end load tool for any Azure Blob endpoint, through the .NET SDK.

    Usage:
      Strongroom.Bench [run] [CONNECTION_STRING] [options]     run the matrix against one endpoint
      Strongroom.Bench compare CANDIDATE.json BASELINE.json [--strict]
                                                               markdown table with ratios and targets
      Strongroom.Bench table REPORT.json                      markdown table of one report
      Strongroom.Bench memory --connection-string CS [--size 1GiB]
                                                               stream one large blob up and down, verify it
      Strongroom.Bench free-port                               print a free TCP port on 127.0.0.1
      Strongroom.Bench fill CONNECTION_STRING --count N [--size 4KiB] [--concurrency 16] [--prefix fill]
                            [--container bench] [--ca-cert FILE] [--json FILE]
                                                               upload N new blobs, print the wall time (bench/protection.sh)
      Strongroom.Bench cipher [--size 64MiB] [--runs 5] [--suites aes-256-gcm,sm4-gcm] [--json FILE]
                                                               segment encrypt/decrypt throughput per
                                                               cipher suite, one thread, in process
      Strongroom.Bench unwrap [--rounds 7] [--puts 200]        per-request key unwrap cost, unwrapped-key cache on vs off
                                                               (in-process; exit 3 if cached unwrap ≥ 5% of a 4 KiB put)
      Strongroom.Bench append [--appends 20000] [--concurrency 16] [--rounds 3]
                                                               transparency-log appends into one log on a real
                                                               SQLite store: appends/s and writes per group commit
      Strongroom.Bench access --management URL --ca-cert FILE --principals FILE --container C [--prefix P]
                              --token-out FILE [--signins 20] [--whoami 200] [--json FILE]
                                                               sign-in and whoami latency on the management plane,
                                                               then a read-data lockbox grant token (bench/access.sh)

    Run options:
      --connection-string CS   (or the first positional argument; or env BENCH_CONNECTION_STRING)
      --label NAME             name of the endpoint in results (default: endpoint)
      --ops put,get            operations (default: put,get): put (each worker rewrites one name), get,
                               overwrite (Put Blob over --names existing names), create (Put Blob of a new
                               name every time), delete (Delete Blob of --pool blobs uploaded before the cell),
                               page (Put Page at a seeded random 512-aligned offset in the worker's own
                               sparse page blob of --page-blob-size; sizes multiples of 512, ≤ 4MiB)
      --names 256              overwrite: how many fixed names (at least the concurrency)
      --pool 20000             delete: blobs uploaded (unmeasured) before the cell; it ends early if they run out
      --pool-prefix P          delete: the pool already exists as P/0 … P/(pool − 1) (uploaded with `fill --prefix P`)
      --page-blob-size 1GiB    page: the length of each worker's page blob (a multiple of 512; created, not written)
      --sizes 4KiB,1MiB,64MiB  payload sizes, binary units (default: 4KiB,1MiB,64MiB)
      --concurrency 1,16       worker counts (default: 1,16)
      --duration 10s           measured time per cell (default: 10s)
      --warmup 2s              unmeasured time per cell before it (default: 2s)
      --quick                  --duration 1s --warmup 0.5s
      --json FILE              write results as JSON (written after every cell)
      --append                 merge into an existing --json FILE instead of replacing it
      --container NAME         container to use (default: bench)
      --ca-cert FILE           trust exactly this certificate (PEM) for HTTPS, e.g. DATA/tls/server.crt
      --bearer-token-file FILE authenticate with this bearer token (a lockbox grant token) instead of
                               Shared Key; needs --endpoint, reads only (the get blobs must exist)
      --endpoint URL           the account's URL for --bearer-token-file, e.g. https://127.0.0.1:PORT/ACCOUNT
    """;

try
{
    var mode = args.Length > 0 && args[0] is "run" or "compare" or "table" or "memory" or "free-port" or "cipher" or "unwrap" or "append" or "access" or "fill" or "help" ? args[0] : "run";
    var rest = mode == "run" && args.Length > 0 && args[0] != "run" ? args : args.Skip(1).ToArray();
    if (args.Contains("--help") || args.Contains("-h") || mode == "help")
    {
        Console.WriteLine(Usage);
        return 0;
    }
    switch (mode)
    {
        case "compare":
            {
                var files = rest.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
                if (files.Length != 2)
                {
                    throw new ArgumentException("compare takes two JSON files: CANDIDATE BASELINE");
                }
                var misses = Compare.Run(files[0], files[1], Console.Out);
                return rest.Contains("--strict") && misses > 0 ? 3 : 0;
            }
        case "table":
            {
                var files = rest.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
                if (files.Length != 1)
                {
                    throw new ArgumentException("table takes one JSON file");
                }
                Compare.Single(files[0], Console.Out);
                return 0;
            }
        case "free-port":
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port);
                return 0;
            }
        case "cipher":
            {
                var parsed = Arguments.Parse(rest);
                var suites = Arguments.List(parsed.Value("--suites") ?? "aes-256-gcm,sm4-gcm").Select(name =>
                    Strongroom.Core.CipherSuites.TryParse(name, out var suite) ? suite : throw new ArgumentException($"unknown cipher suite '{name}' (aes-256-gcm or sm4-gcm)")).ToArray();
                return await CipherThroughput.RunAsync(
                    Units.ParseSizeBytes(parsed.Value("--size") ?? "64MiB"),
                    int.Parse(parsed.Value("--runs") ?? "5", System.Globalization.CultureInfo.InvariantCulture),
                    suites,
                    parsed.Value("--json"),
                    Console.Out);
            }
        case "unwrap":
            {
                var parsed = Arguments.Parse(rest);
                return await UnwrapBench.RunAsync(int.Parse(parsed.Value("--rounds") ?? "7"), int.Parse(parsed.Value("--puts") ?? "200"), Console.Out);
            }
        case "append":
            {
                var parsed = Arguments.Parse(rest);
                return await AppendBench.RunAsync(
                    int.Parse(parsed.Value("--appends") ?? "20000"),
                    int.Parse(parsed.Value("--concurrency") ?? "16"),
                    int.Parse(parsed.Value("--rounds") ?? "3"),
                    Console.Out);
            }
        case "access":
            {
                var parsed = Arguments.Parse(rest);
                string Required(string name) => parsed.Value(name) ?? throw new ArgumentException($"access needs {name}");
                return await AccessBench.RunAsync(
                    new AccessBench.Options(
                        new Uri(Required("--management")),
                        Required("--ca-cert"),
                        Required("--principals"),
                        Required("--container"),
                        parsed.Value("--prefix"),
                        int.Parse(parsed.Value("--signins") ?? "20", System.Globalization.CultureInfo.InvariantCulture),
                        int.Parse(parsed.Value("--whoami") ?? "200", System.Globalization.CultureInfo.InvariantCulture),
                        Required("--token-out"),
                        parsed.Value("--json")),
                    Console.Out);
            }
        case "fill":
            {
                var parsed = Arguments.Parse(rest);
                var count = int.Parse(parsed.Value("--count") ?? throw new ArgumentException("fill needs --count"), System.Globalization.CultureInfo.InvariantCulture);
                var size = checked((int)Units.ParseSizeBytes(parsed.Value("--size") ?? "4KiB"));
                var concurrency = int.Parse(parsed.Value("--concurrency") ?? "16", System.Globalization.CultureInfo.InvariantCulture);
                if (count < 1 || concurrency < 1)
                {
                    throw new ArgumentException("--count and --concurrency must be ≥ 1");
                }
                var service = BlobClientFactory.Create(new BlobTarget(parsed.ConnectionString(), null, null, parsed.Value("--ca-cert")), new RequestCounter());
                var container = service.GetBlobContainerClient(parsed.Value("--container") ?? "bench");
                await container.CreateIfNotExistsAsync();
                var payload = new byte[size];
                new Random(20240611).NextBytes(payload);
                var elapsed = await LoadRunner.FillAsync(container, new BinaryData(payload), parsed.Value("--prefix") ?? "fill", count, concurrency);
                var line = System.FormattableString.Invariant($"{{\"count\":{count},\"sizeBytes\":{size},\"concurrency\":{concurrency},\"seconds\":{elapsed.TotalSeconds:F3},\"objectsPerSecond\":{count / elapsed.TotalSeconds:F1}}}");
                if (parsed.Value("--json") is { } json)
                {
                    File.WriteAllText(json, line + "\n");
                }
                Console.WriteLine(line);
                return 0;
            }
        case "memory":
            {
                var parsed = Arguments.Parse(rest);
                var size = Units.ParseSizeBytes(parsed.Value("--size") ?? "1GiB");
                return await MemoryCheck.RunAsync(parsed.ConnectionString(), size, parsed.Value("--container") ?? "bench-memory");
            }
        default:
            {
                var parsed = Arguments.Parse(rest);
                var quick = parsed.Flag("--quick");
                var bearerFile = parsed.Value("--bearer-token-file");
                var target = bearerFile is null
                    ? new BlobTarget(parsed.ConnectionString(), null, null, parsed.Value("--ca-cert"))
                    : new BlobTarget(
                        null,
                        new Uri(parsed.Value("--endpoint") ?? throw new ArgumentException("--bearer-token-file needs --endpoint (the account's URL)")),
                        File.ReadAllText(bearerFile).Trim(),
                        parsed.Value("--ca-cert"));
                var options = new LoadOptions(
                    Target: target,
                    Label: parsed.Value("--label") ?? "endpoint",
                    Ops: Arguments.List(parsed.Value("--ops") ?? "put,get").Select(o => o.ToLowerInvariant()).ToArray(),
                    SizesBytes: Arguments.List(parsed.Value("--sizes") ?? "4KiB,1MiB,64MiB").Select(Units.ParseSizeBytes).ToArray(),
                    Concurrencies: Arguments.List(parsed.Value("--concurrency") ?? "1,16").Select(int.Parse).ToArray(),
                    Duration: Units.ParseDuration(parsed.Value("--duration") ?? (quick ? "1s" : "10s")),
                    Warmup: Units.ParseDuration(parsed.Value("--warmup") ?? (quick ? "0.5s" : "2s")),
                    JsonPath: parsed.Value("--json"),
                    Append: parsed.Flag("--append"),
                    ContainerName: parsed.Value("--container") ?? "bench",
                    OverwriteNames: int.Parse(parsed.Value("--names") ?? LoadRunner.OverwriteNamesDefault.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture),
                    DeletePool: int.Parse(parsed.Value("--pool") ?? LoadRunner.DeletePoolDefault.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture),
                    DeletePoolPrefix: parsed.Value("--pool-prefix"),
                    PageBlobBytes: Units.ParseSizeBytes(parsed.Value("--page-blob-size") ?? "1GiB"));
                foreach (var op in options.Ops)
                {
                    if (op is not ("put" or "get" or "overwrite" or "create" or "delete" or "page"))
                    {
                        throw new ArgumentException($"unknown op '{op}' (put, get, overwrite, create, delete or page)");
                    }
                }
                if (options.Ops.Contains("page"))
                {
                    if (options.PageBlobBytes < LoadRunner.PageBytes || options.PageBlobBytes % LoadRunner.PageBytes != 0)
                    {
                        throw new ArgumentException($"--page-blob-size must be a positive multiple of {LoadRunner.PageBytes} bytes");
                    }
                    if (options.SizesBytes.Any(s => s % LoadRunner.PageBytes != 0 || s > LoadRunner.PutPageBytesMax || s > options.PageBlobBytes))
                    {
                        throw new ArgumentException($"page: every size must be a multiple of {LoadRunner.PageBytes} bytes, at most 4MiB and at most --page-blob-size");
                    }
                }
                if (options.OverwriteNames < 1 || options.DeletePool < 1)
                {
                    throw new ArgumentException("--names and --pool must be ≥ 1");
                }
                if (options.Concurrencies.Any(c => c < 1) || options.SizesBytes.Any(s => s < 1 || s > int.MaxValue))
                {
                    throw new ArgumentException("concurrency must be ≥ 1 and sizes between 1 byte and 2 GiB");
                }
                var report = await new LoadRunner(options).RunAsync();
                return report.Cells.Any(c => c.Flagged) ? 2 : 0;
            }
    }
}
catch (Exception exception) when (exception is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"error: {exception.Message}");
    Console.Error.WriteLine("run with --help for usage");
    return 64;
}

/// <summary>Plain "--name value" / "--flag" parsing; one positional argument (the connection string).</summary>
internal sealed class Arguments
{
    private static readonly HashSet<string> Flags = ["--quick", "--append", "--strict"];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private string? _positional;

    public static Arguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (Flags.Contains(arg))
            {
                parsed._flags.Add(arg);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = arg.IndexOf('=');
                if (equals > 0)
                {
                    parsed._values[arg[..equals]] = arg[(equals + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    parsed._values[arg] = args[++i];
                }
                else
                {
                    throw new ArgumentException($"{arg} needs a value");
                }
            }
            else if (parsed._positional is null)
            {
                parsed._positional = arg;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }
        return parsed;
    }

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    public string ConnectionString() =>
        Value("--connection-string") ?? _positional ?? Environment.GetEnvironmentVariable("BENCH_CONNECTION_STRING")
        ?? throw new ArgumentException("a connection string is required (positional, --connection-string or BENCH_CONNECTION_STRING)");

    public static string[] List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
