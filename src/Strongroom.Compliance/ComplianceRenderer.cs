using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Strongroom.Compliance;

/// <summary>
/// The report's three renderings: a Markdown table, a JSON document with a stable schema
/// (<see cref="ComplianceReport.FormatVersion"/>), and a self-contained, accessible HTML page
/// (no script, no external resource; every value escaped).
/// </summary>
public static class ComplianceRenderer
{
    private const string Title = "Strongroom compliance report: MLPS 2.0 level 3, CSL, PIPL";

    private const string Disclaimer = "Evidence for an assessment, not a certification: the manual rows and the assessor's own tests decide.";

    /// <summary>The formats <c>--format</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["md", "json", "html"];

    public static string Render(ComplianceReport report, string format) => format switch
    {
        "md" => Markdown(report),
        "json" => Json(report),
        "html" => Html(report),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "The format is md, json or html."),
    };

    public static string Markdown(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append("# ").AppendLine(Title).AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"Deployment `{MarkdownCode(report.Deployment)}`, evaluated {Time(report.GeneratedOn)}. ");
        text.AppendLine(Summary(report)).AppendLine();
        text.AppendLine(Disclaimer).AppendLine();
        text.AppendLine("| ID | Clause | Requirement | Status | Evidence | Assessor |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in report.Rows)
        {
            text.Append("| ").Append(Cell(row.Id))
                .Append(" | ").Append(Cell(row.Clause))
                .Append(" | ").Append(Cell(row.Requirement))
                .Append(" | **").Append(ComplianceStatuses.Name(row.Status)).Append("**")
                .Append(" | ").Append(Cell(row.Evidence))
                .Append(" | ").Append(Cell(row.AssessorAction ?? string.Empty))
                .AppendLine(" |");
        }

        return text.ToString();
    }

    /// <summary>
    /// <c>{"version":1,"deployment","generatedOn","summary":{"pass","fail","manual","notApplicable"},"rows":[{"id","clause","area","requirement","status","evidence","assessor"?}]}</c>.
    /// </summary>
    public static string Json(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", ComplianceReport.FormatVersion);
            json.WriteString("deployment", report.Deployment);
            json.WriteString("generatedOn", report.GeneratedOn.ToUniversalTime());
            json.WriteStartObject("summary");
            json.WriteNumber("pass", report.Count(ComplianceStatus.Pass));
            json.WriteNumber("fail", report.Count(ComplianceStatus.Fail));
            json.WriteNumber("manual", report.Count(ComplianceStatus.Manual));
            json.WriteNumber("notApplicable", report.Count(ComplianceStatus.NotApplicable));
            json.WriteEndObject();
            json.WriteStartArray("rows");
            foreach (var row in report.Rows)
            {
                json.WriteStartObject();
                json.WriteString("id", row.Id);
                json.WriteString("clause", row.Clause);
                json.WriteString("area", row.Area);
                json.WriteString("requirement", row.Requirement);
                json.WriteString("status", ComplianceStatuses.Name(row.Status));
                json.WriteString("evidence", row.Evidence);
                if (row.AssessorAction is { } action)
                {
                    json.WriteString("assessor", action);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// One page, in the document's language, a caption and header cells with scope, status as text
    /// (never color alone); also well-formed XML (void elements closed), so it parses either way.
    /// </summary>
    public static string Html(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\">");
        html.AppendLine("<head>");
        html.AppendLine("<meta charset=\"utf-8\" />");
        html.AppendLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />");
        html.Append("<title>").Append(E(Title)).AppendLine("</title>");
        html.AppendLine("<style>");
        html.AppendLine("body{font-family:system-ui,sans-serif;margin:1.5rem;line-height:1.4;color:#1a1a1a;background:#fff}");
        html.AppendLine("table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;padding:.4rem;text-align:left;vertical-align:top}");
        html.AppendLine("thead th{background:#e8e8e8}.status{font-weight:bold;white-space:nowrap}");
        html.AppendLine(".fail{background:#fde2e2}.pass{background:#e3f4e3}.manual{background:#fff4d6}.not-applicable{background:#f0f0f0}");
        html.AppendLine("</style>");
        html.AppendLine("</head>");
        html.AppendLine("<body>");
        html.AppendLine("<main>");
        html.Append("<h1>").Append(E(Title)).AppendLine("</h1>");
        html.Append("<p>Deployment <code>").Append(E(report.Deployment)).Append("</code>, evaluated <time datetime=\"")
            .Append(E(report.GeneratedOn.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))).Append("\">")
            .Append(E(Time(report.GeneratedOn))).Append("</time>. ").Append(E(Summary(report))).AppendLine("</p>");
        html.Append("<p>").Append(E(Disclaimer)).AppendLine("</p>");
        html.AppendLine("<table>");
        html.AppendLine("<caption>Checklist rows with their status and the evidence read from the deployment</caption>");
        html.AppendLine("<thead><tr><th scope=\"col\">ID</th><th scope=\"col\">Clause</th><th scope=\"col\">Requirement</th><th scope=\"col\">Status</th><th scope=\"col\">Evidence</th><th scope=\"col\">Assessor</th></tr></thead>");
        html.AppendLine("<tbody>");
        foreach (var row in report.Rows)
        {
            var status = ComplianceStatuses.Name(row.Status);
            html.Append("<tr id=\"row-").Append(E(row.Id)).Append("\" class=\"").Append(status).Append("\">")
                .Append("<th scope=\"row\">").Append(E(row.Id)).Append("</th>")
                .Append("<td>").Append(E(row.Clause)).Append("</td>")
                .Append("<td>").Append(E(row.Requirement)).Append("</td>")
                .Append("<td class=\"status\">").Append(status).Append("</td>")
                .Append("<td>").Append(E(row.Evidence)).Append("</td>")
                .Append("<td>").Append(E(row.AssessorAction ?? string.Empty)).Append("</td>")
                .AppendLine("</tr>");
        }

        html.AppendLine("</tbody>");
        html.AppendLine("</table>");
        html.AppendLine("</main>");
        html.AppendLine("</body>");
        html.AppendLine("</html>");
        return html.ToString();
    }

    private static string Summary(ComplianceReport report) =>
        string.Create(CultureInfo.InvariantCulture, $"{report.Count(ComplianceStatus.Pass)} pass, {report.Count(ComplianceStatus.Fail)} fail, {report.Count(ComplianceStatus.Manual)} manual, {report.Count(ComplianceStatus.NotApplicable)} not applicable.");

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A table cell: pipes escaped, line breaks flattened, markup characters escaped.</summary>
    private static string Cell(string text)
    {
        var cell = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '|' or '\\' or '`' or '*' or '_' or '<' or '>' or '[' or ']':
                    cell.Append('\\').Append(c);
                    break;
                case '\r' or '\n':
                    cell.Append(' ');
                    break;
                default:
                    cell.Append(c);
                    break;
            }
        }

        return cell.ToString();
    }

    private static string MarkdownCode(string text) => text.Replace("`", "'", StringComparison.Ordinal);
}
