namespace Strongroom.Compliance;

/// <summary>
/// A row's outcome. <see cref="Pass"/> and <see cref="Fail"/> are decided from the deployment's
/// evidence; <see cref="Manual"/> rows cannot be evidenced by the software and say what an assessor
/// must look at; <see cref="NotApplicable"/> rows have nothing to judge in this deployment.
/// </summary>
public enum ComplianceStatus
{
    Pass,
    Fail,
    Manual,
    NotApplicable,
}

/// <summary>
/// One row of the checklist: its id (stable across versions), the clause it evidences (GB/T
/// 22239-2019 level 3, CSL, PIPL), the requirement in words, the status, the evidence read from the
/// deployment, and for a manual row what the assessor must examine.
/// </summary>
public sealed record ComplianceRow(
    string Id,
    string Clause,
    string Area,
    string Requirement,
    ComplianceStatus Status,
    string Evidence,
    string? AssessorAction);

/// <summary>
/// The evaluated checklist of one deployment at one moment. Evidence for an assessment, never a
/// certification: the manual rows and the assessor's own tests decide the grade.
/// </summary>
public sealed record ComplianceReport(string Deployment, DateTimeOffset GeneratedOn, IReadOnlyList<ComplianceRow> Rows)
{
    /// <summary>The version of the JSON document (<see cref="ComplianceRenderer.Json"/>); grows, never changes meaning.</summary>
    public const int FormatVersion = 1;

    /// <summary>True when a row decided from evidence failed: <c>strongroom compliance report</c> then exits 1.</summary>
    public bool AnyFailure => Rows.Any(row => row.Status == ComplianceStatus.Fail);

    public int Count(ComplianceStatus status) => Rows.Count(row => row.Status == status);
}

/// <summary>The names statuses have in every rendering: <c>pass</c>, <c>fail</c>, <c>manual</c>, <c>not-applicable</c>.</summary>
public static class ComplianceStatuses
{
    public static string Name(ComplianceStatus status) => status switch
    {
        ComplianceStatus.Pass => "pass",
        ComplianceStatus.Fail => "fail",
        ComplianceStatus.Manual => "manual",
        ComplianceStatus.NotApplicable => "not-applicable",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
