using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Strongroom.Compliance.Tests;

public sealed class RendererTests
{
    private const string Hostile = "<script>alert('x')</script> | `tick` & \"quote\"\nnew line";

    private static ComplianceReport Report() => new(
        "dep<1>",
        Evidence.Now,
        [
            new ComplianceRow("T-1", "GB/T 22239 8.1.4.1a", "Area", "Requirement", ComplianceStatus.Pass, Hostile, null),
            new ComplianceRow("T-2", "CSL art. 21", "Area", "Requirement", ComplianceStatus.Fail, "Fails: bad.", null),
            new ComplianceRow("T-3", "PIPL art. 38", "Area", "Requirement", ComplianceStatus.Manual, "Not evidenced.", Hostile),
            new ComplianceRow("T-4", "DSL art. 31", "Area", "Requirement", ComplianceStatus.NotApplicable, "Nothing to judge.", null),
        ]);

    [Fact]
    public void Json_has_a_version_a_summary_and_every_row_with_its_status()
    {
        using var document = JsonDocument.Parse(ComplianceRenderer.Json(Report()));
        var root = document.RootElement;

        Assert.Equal(ComplianceReport.FormatVersion, root.GetProperty("version").GetInt32());
        Assert.Equal("dep<1>", root.GetProperty("deployment").GetString());
        Assert.Equal(Evidence.Now, root.GetProperty("generatedOn").GetDateTimeOffset());
        var summary = root.GetProperty("summary");
        Assert.Equal((1, 1, 1, 1), (summary.GetProperty("pass").GetInt32(), summary.GetProperty("fail").GetInt32(), summary.GetProperty("manual").GetInt32(), summary.GetProperty("notApplicable").GetInt32()));
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["pass", "fail", "manual", "not-applicable"], rows.Select(row => row.GetProperty("status").GetString()));
        Assert.Equal(Hostile, rows[0].GetProperty("evidence").GetString());
        Assert.False(rows[0].TryGetProperty("assessor", out _));
        Assert.Equal(Hostile, rows[2].GetProperty("assessor").GetString());
        Assert.Equal(["id", "clause", "area", "requirement", "status", "evidence", "assessor"], rows[2].EnumerateObject().Select(property => property.Name));
    }

    [Fact]
    public void Html_is_well_formed_accessible_self_contained_and_escapes_every_value()
    {
        var html = ComplianceRenderer.Html(Report());
        var document = XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));

        Assert.Equal("en", document.Root!.Attribute("lang")!.Value);
        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        var table = document.Descendants("table").Single();
        Assert.NotNull(table.Element("caption"));
        Assert.All(table.Descendants("thead").Descendants("th"), th => Assert.Equal("col", th.Attribute("scope")!.Value));
        var rows = table.Element("tbody")!.Elements("tr").ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal("row", rows[0].Element("th")!.Attribute("scope")!.Value);
        Assert.Equal(["pass", "fail", "manual", "not-applicable"], rows.Select(row => row.Elements("td").ElementAt(2).Value));
        Assert.Equal(Hostile, rows[0].Elements("td").ElementAt(3).Value);
        Assert.Contains("dep<1>", document.Descendants("code").Single().Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_keeps_one_line_per_row_with_pipes_and_markup_escaped()
    {
        var markdown = ComplianceRenderer.Markdown(Report());
        var lines = markdown.Split('\n');
        var tableRows = lines.Where(line => line.StartsWith("| T-", StringComparison.Ordinal)).ToList();

        Assert.Equal(4, tableRows.Count);
        Assert.Contains("\\<script\\>alert('x')\\</script\\> \\| \\`tick\\` & \"quote\" new line", tableRows[0], StringComparison.Ordinal);
        Assert.All(tableRows, row => Assert.Equal(7, UnescapedPipes(row)));
        Assert.Contains("**fail**", tableRows[1], StringComparison.Ordinal);
        Assert.Contains("1 pass, 1 fail, 1 manual, 1 not applicable.", markdown, StringComparison.Ordinal);
    }

    private static int UnescapedPipes(string line) => line.Where((c, i) => c == '|' && (i == 0 || line[i - 1] != '\\')).Count();

    [Fact]
    public void Render_refuses_an_unknown_format_and_knows_three()
    {
        Assert.Equal(["md", "json", "html"], ComplianceRenderer.Formats);
        Assert.Throws<ArgumentOutOfRangeException>(() => ComplianceRenderer.Render(Report(), "bogus"));
        foreach (var format in ComplianceRenderer.Formats)
        {
            Assert.False(string.IsNullOrEmpty(ComplianceRenderer.Render(Report(), format)));
        }
    }

    [Fact]
    public void Statuses_have_stable_names()
    {
        Assert.Equal(["pass", "fail", "manual", "not-applicable"], Enum.GetValues<ComplianceStatus>().Select(ComplianceStatuses.Name));
    }
}
