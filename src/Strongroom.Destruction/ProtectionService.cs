using Strongroom.Core;

namespace Strongroom.Destruction;

/// <summary>
/// An account's data-protection settings (versioning, blob and container soft delete) and
/// container legal holds, for the CLI and the management plane. The Blob API's Set Blob Service
/// Properties reaches the same settings through the blob service.
/// Owner: helper "containers" (issue 7).
/// </summary>
public sealed class ProtectionService
{
}
