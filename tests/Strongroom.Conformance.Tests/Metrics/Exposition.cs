using System.Globalization;
using System.Text;

namespace Strongroom.Conformance.Tests.Metrics;

/// <summary>
/// A strict reader of Prometheus's text exposition format 0.0.4, enough to check a scrape: every
/// sample belongs to a family declared by <c># TYPE</c>, label values unescaped, values parsed;
/// histograms checked for cumulative buckets ending at <c>+Inf</c> equal to <c>_count</c>.
/// </summary>
public sealed class Exposition
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public List<Sample> Samples { get; } = [];

    public static Exposition Parse(string text)
    {
        var exposition = new Exposition();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line["# TYPE ".Length..].Split(' ');
                Check(parts.Length == 2 && parts[1] is "counter" or "gauge" or "histogram" or "summary" or "untyped", lineNumber, line);
                Check(exposition.Types.TryAdd(parts[0], parts[1]), lineNumber, "duplicate TYPE: " + line);
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            exposition.Samples.Add(ParseSample(line, lineNumber));
        }

        foreach (var sample in exposition.Samples)
        {
            Check(exposition.FamilyOf(sample.Name) is not null, 0, $"sample {sample.Name} has no # TYPE");
        }

        exposition.CheckHistograms();
        return exposition;
    }

    /// <summary>The declared family a sample belongs to (a histogram's _bucket, _sum, _count belong to it).</summary>
    public string? FamilyOf(string sampleName)
    {
        if (Types.ContainsKey(sampleName))
        {
            return sampleName;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(sampleName[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return sampleName[..^suffix.Length];
            }
        }

        return null;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/>; null when none.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels)
    {
        var matching = Find(name, labels).ToList();
        if (matching.Count > 1)
        {
            throw new InvalidOperationException($"{matching.Count} samples of {name} match; name more labels.");
        }

        return matching.Count == 1 ? matching[0].Value : null;
    }

    /// <summary>The value, or 0 when the series does not exist yet (a labelled counter appears at its first increment).</summary>
    public double ValueOrZero(string name, params (string Name, string Value)[] labels) => Value(name, labels) ?? 0;

    public IEnumerable<Sample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(sample => string.Equals(sample.Name, name, StringComparison.Ordinal)
            && labels.All(label => sample.Labels.TryGetValue(label.Name, out var value) && string.Equals(value, label.Value, StringComparison.Ordinal)));

    private void CheckHistograms()
    {
        foreach (var (family, _) in Types.Where(type => type.Value == "histogram"))
        {
            var series = Samples.Where(sample => sample.Name == family + "_bucket")
                .GroupBy(sample => string.Join(',', sample.Labels.Where(label => label.Key != "le").OrderBy(label => label.Key, StringComparer.Ordinal).Select(label => $"{label.Key}={label.Value}")));
            foreach (var group in series)
            {
                var buckets = group.Select(sample => (Le: ParseValue(sample.Labels["le"]), sample.Value)).OrderBy(bucket => bucket.Le).ToList();
                Check(buckets.Count >= 2 && double.IsPositiveInfinity(buckets[^1].Le), 0, $"{family}{{{group.Key}}} has no +Inf bucket");
                for (var i = 1; i < buckets.Count; i++)
                {
                    Check(buckets[i].Value >= buckets[i - 1].Value, 0, $"{family}{{{group.Key}}} buckets are not cumulative");
                }

                var labels = group.First().Labels.Where(label => label.Key != "le").Select(label => (label.Key, label.Value)).ToArray();
                var count = Find(family + "_count", labels).Where(sample => sample.Labels.Count == labels.Length).Select(sample => sample.Value).Single();
                Check(count == buckets[^1].Value, 0, $"{family}{{{group.Key}}}: _count {count} differs from the +Inf bucket {buckets[^1].Value}");
                Check(Find(family + "_sum", labels).Any(sample => sample.Labels.Count == labels.Length), 0, $"{family}{{{group.Key}}} has no _sum");
            }
        }
    }

    private static Sample ParseSample(string line, int lineNumber)
    {
        var at = 0;
        while (at < line.Length && (char.IsAsciiLetterOrDigit(line[at]) || line[at] is '_' or ':'))
        {
            at++;
        }

        var name = line[..at];
        Check(name.Length > 0 && !char.IsAsciiDigit(name[0]), lineNumber, line);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (at < line.Length && line[at] == '{')
        {
            at++;
            while (line[at] != '}')
            {
                var start = at;
                while (line[at] != '=')
                {
                    at++;
                }

                var labelName = line[start..at];
                Check(line[at + 1] == '"', lineNumber, line);
                at += 2;
                var value = new StringBuilder();
                while (line[at] != '"')
                {
                    if (line[at] == '\\')
                    {
                        at++;
                        value.Append(line[at] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new FormatException($"line {lineNumber}: bad escape: {line}") });
                    }
                    else
                    {
                        value.Append(line[at]);
                    }

                    at++;
                }

                at++;
                Check(labels.TryAdd(labelName, value.ToString()), lineNumber, "duplicate label: " + line);
                if (line[at] == ',')
                {
                    at++;
                }
            }

            at++;
        }

        Check(at < line.Length && line[at] == ' ', lineNumber, line);
        var rest = line[(at + 1)..].Split(' ');
        Check(rest.Length is 1 or 2, lineNumber, line);
        return new Sample(name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static void Check(bool condition, int lineNumber, string what)
    {
        if (!condition)
        {
            throw new FormatException($"Not valid exposition format (line {lineNumber}): {what}");
        }
    }
}
