using System.Globalization;

namespace Strongroom.Core;

/// <summary>The retention of a Storage Analytics setting: <see cref="Days"/> (1–365) only when enabled.</summary>
public sealed record AnalyticsRetention(bool Enabled, int? Days)
{
    public static AnalyticsRetention Off { get; } = new(false, null);
}

/// <summary>Set Blob Service Properties' Logging. Stored and answered; this server writes no Storage Analytics logs (the transparency log is its record).</summary>
public sealed record AnalyticsLogging(string Version, bool Delete, bool Read, bool Write, AnalyticsRetention Retention)
{
    public static AnalyticsLogging Off { get; } = new("1.0", false, false, false, AnalyticsRetention.Off);
}

/// <summary>HourMetrics or MinuteMetrics: <see cref="IncludeApis"/> only when enabled. Stored and answered; no metrics are collected.</summary>
public sealed record AnalyticsMetrics(string Version, bool Enabled, bool? IncludeApis, AnalyticsRetention Retention)
{
    public static AnalyticsMetrics Off { get; } = new("1.0", false, null, AnalyticsRetention.Off);
}

/// <summary>
/// One CORS rule as Azure stores it: the comma-separated lists exactly as set (answered back so),
/// parsed once into their items for evaluation. Origins match case-sensitively, <c>*</c> allows
/// every origin; methods match exactly; header names case-insensitively, an item ending in
/// <c>*</c> is a prefix (and <c>*</c> alone allows every header).
/// </summary>
public sealed record CorsRule
{
    public CorsRule(string allowedOrigins, string allowedMethods, string allowedHeaders, string exposedHeaders, int maxAgeInSeconds)
    {
        AllowedOrigins = allowedOrigins;
        AllowedMethods = allowedMethods;
        AllowedHeaders = allowedHeaders;
        ExposedHeaders = exposedHeaders;
        MaxAgeInSeconds = maxAgeInSeconds;
        Origins = CorsRules.Split(allowedOrigins);
        Methods = CorsRules.Split(allowedMethods);
        AllowedHeaderItems = CorsRules.Split(allowedHeaders);
        ExposedHeaderItems = CorsRules.Split(exposedHeaders);
        AllowsAnyOrigin = Origins.Contains("*");
    }

    public string AllowedOrigins { get; }

    public string AllowedMethods { get; }

    public string AllowedHeaders { get; }

    public string ExposedHeaders { get; }

    public int MaxAgeInSeconds { get; }

    public IReadOnlyList<string> Origins { get; }

    public IReadOnlyList<string> Methods { get; }

    public IReadOnlyList<string> AllowedHeaderItems { get; }

    public IReadOnlyList<string> ExposedHeaderItems { get; }

    /// <summary>Whether <c>*</c> is one of the allowed origins.</summary>
    public bool AllowsAnyOrigin { get; }

    public bool AllowsOrigin(string? origin) =>
        AllowsAnyOrigin || (origin is not null && Origins.Contains(origin, StringComparer.Ordinal));

    public bool AllowsMethod(string method) => Methods.Contains(method, StringComparer.Ordinal);

    /// <summary>Whether every name in <paramref name="requestHeaders"/> (an Access-Control-Request-Headers value) is allowed.</summary>
    public bool AllowsHeaders(string? requestHeaders)
    {
        foreach (var name in CorsRules.Split(requestHeaders ?? string.Empty))
        {
            if (!CorsRules.Matches(AllowedHeaderItems, name))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(CorsRule? other) =>
        other is not null
        && AllowedOrigins == other.AllowedOrigins
        && AllowedMethods == other.AllowedMethods
        && AllowedHeaders == other.AllowedHeaders
        && ExposedHeaders == other.ExposedHeaders
        && MaxAgeInSeconds == other.MaxAgeInSeconds;

    public override int GetHashCode() => HashCode.Combine(AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders, MaxAgeInSeconds);
}

/// <summary>StaticWebsite: stored and answered; this server serves no <c>$web</c> website.</summary>
public sealed record StaticWebsiteSettings(bool Enabled, string? IndexDocument, string? ErrorDocument404Path, string? DefaultIndexDocumentPath)
{
    public static StaticWebsiteSettings Off { get; } = new(false, null, null, null);
}

/// <summary>
/// An account's Blob service properties other than DeleteRetentionPolicy (which is part of
/// <see cref="DataProtectionSettings"/>): Azure's defaults until a Set changes them.
/// <see cref="DefaultServiceVersion"/> null: never set.
/// </summary>
public sealed record BlobServiceProperties(
    AnalyticsLogging Logging,
    AnalyticsMetrics HourMetrics,
    AnalyticsMetrics MinuteMetrics,
    IReadOnlyList<CorsRule> Cors,
    string? DefaultServiceVersion,
    StaticWebsiteSettings StaticWebsite)
{
    public static BlobServiceProperties Default { get; } = new(AnalyticsLogging.Off, AnalyticsMetrics.Off, AnalyticsMetrics.Off, [], null, StaticWebsiteSettings.Off);

    public bool Equals(BlobServiceProperties? other) =>
        other is not null
        && Logging == other.Logging
        && HourMetrics == other.HourMetrics
        && MinuteMetrics == other.MinuteMetrics
        && Cors.SequenceEqual(other.Cors)
        && DefaultServiceVersion == other.DefaultServiceVersion
        && StaticWebsite == other.StaticWebsite;

    public override int GetHashCode() => HashCode.Combine(Logging, HourMetrics, MinuteMetrics, Cors.Count, DefaultServiceVersion, StaticWebsite);
}

/// <summary>The retention part of a Set body's DeleteRetentionPolicy (null days: off).</summary>
public sealed record DeleteRetentionUpdate(int? Days, bool AllowPermanentDelete);

/// <summary>
/// What a Set Blob Service Properties body says: each root element present replaces that whole
/// setting; an absent one (null) keeps it, as Azure. An empty <c>Cors</c> deletes every rule.
/// </summary>
public sealed record BlobServicePropertiesUpdate(
    AnalyticsLogging? Logging = null,
    AnalyticsMetrics? HourMetrics = null,
    AnalyticsMetrics? MinuteMetrics = null,
    IReadOnlyList<CorsRule>? Cors = null,
    string? DefaultServiceVersion = null,
    StaticWebsiteSettings? StaticWebsite = null,
    DeleteRetentionUpdate? DeleteRetentionPolicy = null)
{
    public bool IsEmpty =>
        Logging is null && HourMetrics is null && MinuteMetrics is null && Cors is null
        && DefaultServiceVersion is null && StaticWebsite is null && DeleteRetentionPolicy is null;

    /// <summary>The stored properties with this update's elements applied.</summary>
    public BlobServiceProperties ApplyTo(BlobServiceProperties current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return new BlobServiceProperties(
            Logging ?? current.Logging,
            HourMetrics ?? current.HourMetrics,
            MinuteMetrics ?? current.MinuteMetrics,
            Cors ?? current.Cors,
            DefaultServiceVersion ?? current.DefaultServiceVersion,
            StaticWebsite ?? current.StaticWebsite);
    }
}

/// <summary>A value of a Set body outside Azure's rules: the XML node it is in, and the value.</summary>
public sealed record ServicePropertiesViolation(string NodeName, string NodeValue);

/// <summary>Azure's rules for service properties and CORS, shared by the protocol (to name the node) and the service (to refuse).</summary>
public static class CorsRules
{
    /// <summary>Methods a CORS rule may allow (Azure's list).</summary>
    public static IReadOnlyList<string> SupportedMethods { get; } = ["DELETE", "GET", "HEAD", "MERGE", "PATCH", "POST", "OPTIONS", "PUT"];

    /// <summary>The items of a comma-separated list, trimmed, empty items dropped.</summary>
    public static IReadOnlyList<string> Split(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Whether header <paramref name="name"/> is one of <paramref name="items"/> (case-insensitive; an item ending in <c>*</c> is a prefix).</summary>
    public static bool Matches(IReadOnlyList<string> items, string name)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            if (item.EndsWith('*')
                ? name.StartsWith(item.AsSpan(0, item.Length - 1), StringComparison.OrdinalIgnoreCase)
                : string.Equals(item, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first value of <paramref name="update"/> outside Azure's rules, or null when every value is valid.</summary>
    public static ServicePropertiesViolation? Check(BlobServicePropertiesUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Logging is { } logging && CheckRetention(logging.Retention) is { } loggingDays)
        {
            return loggingDays;
        }

        foreach (var metrics in (ReadOnlySpan<AnalyticsMetrics?>)[update.HourMetrics, update.MinuteMetrics])
        {
            if (metrics is not null && CheckRetention(metrics.Retention) is { } metricsDays)
            {
                return metricsDays;
            }
        }

        if (update.Cors is { } cors && CheckCors(cors) is { } corsViolation)
        {
            return corsViolation;
        }

        if (update.DefaultServiceVersion is { } version && !IsServiceVersion(version))
        {
            return new("DefaultServiceVersion", version);
        }

        if (update.StaticWebsite is { } website && CheckStaticWebsite(website) is { } websiteViolation)
        {
            return websiteViolation;
        }

        if (update.DeleteRetentionPolicy is { } retention && !DataProtectionSettings.IsValidRetentionDays(retention.Days))
        {
            return new("Days", retention.Days?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
        }

        return null;
    }

    /// <summary>A service version Azure knows the form of: <c>yyyy-MM-dd</c>, from 2008-10-27 on.</summary>
    public static bool IsServiceVersion(string version) =>
        DateOnly.TryParseExact(version, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
        && date >= new DateOnly(2008, 10, 27);

    private static ServicePropertiesViolation? CheckRetention(AnalyticsRetention retention) =>
        retention.Enabled && retention.Days is not (>= Limits.AnalyticsRetentionDaysMin and <= Limits.AnalyticsRetentionDaysMax)
            ? new("Days", retention.Days?.ToString(CultureInfo.InvariantCulture) ?? string.Empty)
            : null;

    private static ServicePropertiesViolation? CheckCors(IReadOnlyList<CorsRule> rules)
    {
        if (rules.Count > Limits.CorsRulesMax)
        {
            return new("Cors", rules.Count.ToString(CultureInfo.InvariantCulture) + " rules");
        }

        var settingsChars = 0;
        foreach (var rule in rules)
        {
            settingsChars += rule.AllowedOrigins.Length + rule.AllowedMethods.Length + rule.AllowedHeaders.Length + rule.ExposedHeaders.Length
                + rule.MaxAgeInSeconds.ToString(CultureInfo.InvariantCulture).Length;
            if (rule.Origins.Count == 0 || rule.Origins.Count > Limits.CorsOriginsMax || rule.Origins.Any(origin => origin.Length > Limits.CorsValueCharsMax))
            {
                return new("AllowedOrigins", rule.AllowedOrigins);
            }

            if (rule.Methods.Count == 0 || rule.Methods.Any(method => !SupportedMethods.Contains(method, StringComparer.Ordinal)))
            {
                return new("AllowedMethods", rule.AllowedMethods);
            }

            if (!IsValidHeaderList(rule.AllowedHeaderItems))
            {
                return new("AllowedHeaders", rule.AllowedHeaders);
            }

            if (!IsValidHeaderList(rule.ExposedHeaderItems))
            {
                return new("ExposedHeaders", rule.ExposedHeaders);
            }

            if (rule.MaxAgeInSeconds < 0)
            {
                return new("MaxAgeInSeconds", rule.MaxAgeInSeconds.ToString(CultureInfo.InvariantCulture));
            }
        }

        return settingsChars > Limits.CorsSettingsCharsMax ? new("Cors", settingsChars.ToString(CultureInfo.InvariantCulture) + " characters") : null;
    }

    private static bool IsValidHeaderList(IReadOnlyList<string> items)
    {
        var prefixed = items.Count(item => item.EndsWith('*'));
        return prefixed <= Limits.CorsPrefixedHeadersMax
            && items.Count - prefixed <= Limits.CorsLiteralHeadersMax
            && items.All(item => item.Length <= Limits.CorsValueCharsMax);
    }

    private static ServicePropertiesViolation? CheckStaticWebsite(StaticWebsiteSettings website)
    {
        if (website.IndexDocument is not null && website.DefaultIndexDocumentPath is not null)
        {
            return new("DefaultIndexDocumentPath", website.DefaultIndexDocumentPath);
        }

        foreach (var (name, value) in (ReadOnlySpan<(string, string?)>)[("IndexDocument", website.IndexDocument), ("ErrorDocument404Path", website.ErrorDocument404Path), ("DefaultIndexDocumentPath", website.DefaultIndexDocumentPath)])
        {
            if (value is not null && (value.Length == 0 || value.Length > Limits.StaticWebsitePathCharsMax))
            {
                return new(name, value);
            }
        }

        return null;
    }
}
