namespace Strongroom.Destruction;

/// <summary>
/// Destruction certificates: builds the canonical document from a destruction record and the
/// account's log, signs it with the deployment's key, stores and serves it.
/// Owner: helper "certificates" (issue 7).
/// </summary>
public sealed class CertificateService
{
}
