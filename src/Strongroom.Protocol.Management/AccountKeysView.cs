using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>
/// An account's keys and scopes as its tenant administrators (and audit admins) see them:
/// versions, states and settings, never key material. The host composes it from the vault's store
/// (<see cref="ManagementServices.AccountKeys"/>).
/// </summary>
public sealed record AccountKeysView(string Account, CipherSuite CipherSuite, IReadOnlyList<KeyEncryptionKeyView> KeyEncryptionKeys, IReadOnlyList<EncryptionScopeView> Scopes);

/// <summary>A version of an account's key-encryption key: when it was made, whether new data keys use it, and which keyring version wraps it.</summary>
public sealed record KeyEncryptionKeyView(uint Version, DateTimeOffset CreatedOn, bool Current, uint KeyringVersion);

/// <summary>An encryption scope: its state and who holds the key that protects its key (the platform keyring, or a key in the tenant's vault).</summary>
public sealed record EncryptionScopeView(string Name, EncryptionScopeState State, EncryptionScopeKeySource KeySource, string? CustomerKeyName, string? CustomerKeyVersion, DateTimeOffset CreatedOn);
