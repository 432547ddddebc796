using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;

namespace Strongroom.KeyVault;

/// <summary>Keys: creation (RSA, EC, symmetric), lifecycle, and the cryptographic operations.</summary>
public sealed partial class KeyVaultService
{
    public const string Encrypt = "encrypt";
    public const string Decrypt = "decrypt";
    public const string Sign = "sign";
    public const string Verify = "verify";
    public const string WrapKey = "wrapKey";
    public const string UnwrapKey = "unwrapKey";

    private static readonly string[] RsaOperations = [Encrypt, Decrypt, Sign, Verify, WrapKey, UnwrapKey];
    private static readonly string[] EcOperations = [Sign, Verify];
    private static readonly string[] OctOperations = [Encrypt, Decrypt, WrapKey, UnwrapKey];

    /// <summary>Operations that Azure refuses outside a key's nbf/exp window; the others keep working so old data stays readable.</summary>
    private static readonly string[] TimeBoundOperations = [Encrypt, Sign, WrapKey];

    public Task<KeyProperties> CreateKeyAsync(string account, string name, CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AuditedAsync(account, "CreateKey", Resource(VaultItemKind.Key, name), () => CreateKeyCoreAsync(account, name, request, cancellationToken), cancellationToken);
    }

    private async Task<KeyProperties> CreateKeyCoreAsync(string account, string name, CreateKeyRequest request, CancellationToken cancellationToken)
    {
        RequireName(name, "key");
        var attributes = request.Attributes ?? new ItemChanges();
        ValidateAttributes(attributes);
        var family = Family(request.KeyType);
        var operations = request.KeyOperations is null ? DefaultOperations(family) : ValidateOperations(request.KeyType, request.KeyOperations);
        return await AddKeyVersionAsync(account, name, request.KeyType, request.KeySize, request.Curve, operations, attributes, "CreateKey", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a new version with the latest version's type, size, curve, operations and tags.</summary>
    public Task<KeyProperties> RotateKeyAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "RotateKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (_, latest) = await RequireLiveAsync(account, VaultItemKind.Key, name, null, cancellationToken).ConfigureAwait(false);
            var key = KeyDescriptions.Parse(latest.KeyDescription!);
            return await AddKeyVersionAsync(account, name, key.KeyType, key.KeySize, key.Curve, key.KeyOperations, new ItemChanges(Tags: latest.Tags), "RotateKey", cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<KeyProperties> GetKeyAsync(string account, string name, string? version = null, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, found) = await RequireLiveAsync(account, VaultItemKind.Key, name, version, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetKey", Resource(VaultItemKind.Key, name), VersionDetails(found.Version), cancellationToken).ConfigureAwait(false);
            return DescribeKey(state, found, settings);
        }, cancellationToken);

    public Task<VaultPage<KeyProperties>> ListKeysAsync(string account, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetKeys", Collection(VaultItemKind.Key, deleted: false), async () =>
        {
            var (items, next) = await ListAsync(account, VaultItemKind.Key, deleted: false, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetKeys", Collection(VaultItemKind.Key, deleted: false), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<KeyProperties>(items.Select(item => DescribeKey(item.Item, item.Latest, settings)).ToList(), next);
        }, cancellationToken);

    public Task<VaultPage<KeyProperties>> ListKeyVersionsAsync(string account, string name, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetKeyVersions", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, versions, next) = await ListVersionsAsync(account, VaultItemKind.Key, name, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetKeyVersions", Resource(VaultItemKind.Key, name), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<KeyProperties>(versions.Select(v => DescribeKey(state, v, settings)).ToList(), next);
        }, cancellationToken);

    public Task<KeyProperties> UpdateKeyAsync(string account, string name, string? version, ItemChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return AuditedAsync(account, "UpdateKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, updated) = await UpdateAsync(account, VaultItemKind.Key, name, version, changes with { ContentType = null }, "UpdateKey", cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            return DescribeKey(state, updated, settings);
        }, cancellationToken);
    }

    public Task<KeyProperties> DeleteKeyAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "DeleteKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, latest, settings) = await DeleteAsync(account, VaultItemKind.Key, name, "DeleteKey", cancellationToken).ConfigureAwait(false);
            return DescribeKey(state, latest, settings);
        }, cancellationToken);

    public Task<KeyProperties> GetDeletedKeyAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetDeletedKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, latest) = await RequireDeletedAsync(account, VaultItemKind.Key, name, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetDeletedKey", Resource(VaultItemKind.Key, name), null, cancellationToken).ConfigureAwait(false);
            return DescribeKey(state, latest, settings);
        }, cancellationToken);

    public Task<VaultPage<KeyProperties>> ListDeletedKeysAsync(string account, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetDeletedKeys", Collection(VaultItemKind.Key, deleted: true), async () =>
        {
            var (items, next) = await ListAsync(account, VaultItemKind.Key, deleted: true, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetDeletedKeys", Collection(VaultItemKind.Key, deleted: true), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<KeyProperties>(items.Select(item => DescribeKey(item.Item, item.Latest, settings)).ToList(), next);
        }, cancellationToken);

    public Task<KeyProperties> RecoverDeletedKeyAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "RecoverDeletedKey", Resource(VaultItemKind.Key, name), async () =>
        {
            var (state, latest, settings) = await RecoverAsync(account, VaultItemKind.Key, name, "RecoverDeletedKey", cancellationToken).ConfigureAwait(false);
            return DescribeKey(state, latest, settings);
        }, cancellationToken);

    public Task PurgeDeletedKeyAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "PurgeDeletedKey", Resource(VaultItemKind.Key, name), () => PurgeAsync(account, VaultItemKind.Key, name, "PurgeDeletedKey", cancellationToken), cancellationToken);

    // Cryptographic operations: each is recorded after it is computed and before its result is
    // returned (a decrypted or unwrapped result is wiped if the entry cannot be recorded).

    public Task<KeyOperationResult> EncryptAsync(string account, string name, string? version, string algorithm, byte[] plaintext, byte[]? additionalData = null, CancellationToken cancellationToken = default) =>
        OperationAsync(account, "Encrypt", name, algorithm, secretResult: false, () => EncryptCoreAsync(account, name, version, algorithm, plaintext, additionalData, cancellationToken), cancellationToken);

    public Task<KeyOperationResult> DecryptAsync(string account, string name, string? version, string algorithm, byte[] ciphertext, byte[]? iv = null, byte[]? tag = null, byte[]? additionalData = null, CancellationToken cancellationToken = default) =>
        OperationAsync(account, "Decrypt", name, algorithm, secretResult: true, () => DecryptCoreAsync(account, name, version, algorithm, ciphertext, iv, tag, additionalData, cancellationToken), cancellationToken);

    public Task<KeyOperationResult> WrapKeyAsync(string account, string name, string? version, string algorithm, byte[] keyToWrap, CancellationToken cancellationToken = default) =>
        OperationAsync(account, "WrapKey", name, algorithm, secretResult: false, () => WrapKeyCoreAsync(account, name, version, algorithm, keyToWrap, cancellationToken), cancellationToken);

    public Task<KeyOperationResult> UnwrapKeyAsync(string account, string name, string? version, string algorithm, byte[] wrapped, CancellationToken cancellationToken = default) =>
        OperationAsync(account, "UnwrapKey", name, algorithm, secretResult: true, () => UnwrapKeyCoreAsync(account, name, version, algorithm, wrapped, cancellationToken), cancellationToken);

    /// <summary>Signs a digest (the caller hashes, as with Key Vault).</summary>
    public Task<KeyOperationResult> SignAsync(string account, string name, string? version, string algorithm, byte[] digest, CancellationToken cancellationToken = default) =>
        OperationAsync(account, "Sign", name, algorithm, secretResult: false, () => SignCoreAsync(account, name, version, algorithm, digest, cancellationToken), cancellationToken);

    public Task<(string Name, string Version, bool Valid)> VerifyAsync(string account, string name, string? version, string algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "Verify", Resource(VaultItemKind.Key, name), async () =>
        {
            var result = await VerifyCoreAsync(account, name, version, algorithm, digest, signature, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<KeyValuePair<string, string>> details = [new("algorithm", algorithm), new("valid", Text(result.Valid)), new("version", result.Version)];
            await RecordAsync(account, "Verify", Resource(VaultItemKind.Key, name), details, cancellationToken).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    private Task<KeyOperationResult> OperationAsync(string account, string operation, string name, string algorithm, bool secretResult, Func<Task<KeyOperationResult>> run, CancellationToken cancellationToken) =>
        AuditedAsync(account, operation, Resource(VaultItemKind.Key, name), async () =>
        {
            var result = await run().ConfigureAwait(false);
            try
            {
                await RecordAsync(account, operation, Resource(VaultItemKind.Key, name), VersionDetails(result.Version, algorithm), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (secretResult)
                {
                    CryptographicOperations.ZeroMemory(result.Value);
                }

                throw;
            }

            return result;
        }, cancellationToken);

    private async Task<KeyOperationResult> EncryptCoreAsync(string account, string name, string? version, string algorithm, byte[] plaintext, byte[]? additionalData = null, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, Encrypt, strict: false, cancellationToken).ConfigureAwait(false);
        switch (algorithm)
        {
            case "RSA-OAEP" or "RSA-OAEP-256":
                RequireFamily(key, "RSA", algorithm);
                using (var rsa = key.Rsa())
                {
                    return Result(key, rsa.Encrypt(plaintext, OaepPadding(algorithm)));
                }

            case "A128GCM" or "A192GCM" or "A256GCM":
                RequireOct(key, algorithm, AesBits(algorithm));
                var iv = new byte[12];
                random.Fill(iv);
                var ciphertext = new byte[plaintext.Length];
                var tag = new byte[16];
                using (var gcm = new AesGcm(key.Material, tag.Length))
                {
                    gcm.Encrypt(iv, plaintext, ciphertext, tag, additionalData);
                }

                return new KeyOperationResult(key.Name, key.Version, ciphertext, iv, tag, additionalData);
            default:
                throw Unsupported(algorithm);
        }
    }

    private async Task<KeyOperationResult> DecryptCoreAsync(string account, string name, string? version, string algorithm, byte[] ciphertext, byte[]? iv = null, byte[]? tag = null, byte[]? additionalData = null, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, Decrypt, strict: false, cancellationToken).ConfigureAwait(false);
        try
        {
            switch (algorithm)
            {
                case "RSA-OAEP" or "RSA-OAEP-256":
                    RequireFamily(key, "RSA", algorithm);
                    using (var rsa = key.Rsa())
                    {
                        return Result(key, rsa.Decrypt(ciphertext, OaepPadding(algorithm)));
                    }

                case "A128GCM" or "A192GCM" or "A256GCM":
                    RequireOct(key, algorithm, AesBits(algorithm));
                    if (iv is not { Length: 12 } || tag is not { Length: 16 })
                    {
                        throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "AES-GCM decryption needs a 12-byte iv and a 16-byte tag.");
                    }

                    var plaintext = new byte[ciphertext.Length];
                    using (var gcm = new AesGcm(key.Material, tag.Length))
                    {
                        gcm.Decrypt(iv, ciphertext, tag, plaintext, additionalData);
                    }

                    return Result(key, plaintext);
                default:
                    throw Unsupported(algorithm);
            }
        }
        catch (CryptographicException)
        {
            throw new KeyVaultException(KeyVaultErrorCode.DecryptionFailed, "The ciphertext could not be decrypted with this key.");
        }
    }

    private async Task<KeyOperationResult> WrapKeyCoreAsync(string account, string name, string? version, string algorithm, byte[] keyToWrap, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, WrapKey, strict: false, cancellationToken).ConfigureAwait(false);
        return Result(key, Wrap(key, algorithm, keyToWrap));
    }

    private async Task<KeyOperationResult> UnwrapKeyCoreAsync(string account, string name, string? version, string algorithm, byte[] wrapped, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, UnwrapKey, strict: false, cancellationToken).ConfigureAwait(false);
        try
        {
            return Result(key, Unwrap(key, algorithm, wrapped));
        }
        catch (Exception exception) when (exception is CryptographicException or StorageException { Code: ErrorCode.IntegrityCheckFailed })
        {
            throw new KeyVaultException(KeyVaultErrorCode.DecryptionFailed, "The wrapped key could not be unwrapped with this key.");
        }
    }

    private async Task<KeyOperationResult> SignCoreAsync(string account, string name, string? version, string algorithm, byte[] digest, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, Sign, strict: false, cancellationToken).ConfigureAwait(false);
        var (family, hash, pss, curve) = SignatureAlgorithm(algorithm);
        RequireFamily(key, family, algorithm);
        RequireDigest(digest, hash);
        if (family == "RSA")
        {
            using var rsa = key.Rsa();
            return Result(key, rsa.SignHash(digest, hash, pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1));
        }

        RequireCurve(key, curve!, algorithm);
        using var ecdsa = key.Ecdsa();
        return Result(key, ecdsa.SignHash(digest));
    }

    private async Task<(string Name, string Version, bool Valid)> VerifyCoreAsync(string account, string name, string? version, string algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default)
    {
        using var key = await UseKeyAsync(account, name, version, Verify, strict: false, cancellationToken).ConfigureAwait(false);
        var (family, hash, pss, curve) = SignatureAlgorithm(algorithm);
        RequireFamily(key, family, algorithm);
        RequireDigest(digest, hash);
        if (family == "RSA")
        {
            using var rsa = key.Rsa();
            return (key.Name, key.Version, rsa.VerifyHash(digest, signature, hash, pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1));
        }

        RequireCurve(key, curve!, algorithm);
        using var ecdsa = key.Ecdsa();
        return (key.Name, key.Version, ecdsa.VerifyHash(digest, signature));
    }

    // Used by the customer-managed keys of encryption scopes. The platform's use of a tenant's key
    // is recorded like the tenant's own (Vault.WrapKey / Vault.UnwrapKey, attributed to the
    // request that caused it), with "use": "encryption-scope" in the details, so the tenant sees
    // every time its key served, and a read under the scope fails if that cannot be recorded.

    /// <summary>The details value of <c>use</c> on entries of the platform's wraps and unwraps for encryption scopes.</summary>
    public const string EncryptionScopeUse = "encryption-scope";

    internal Task<(string Version, byte[] Wrapped)> WrapForPlatformAsync(string account, string name, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken) =>
        AuditedAsync(account, "WrapKey", Resource(VaultItemKind.Key, name), async () =>
        {
            string algorithm;
            (string Version, byte[] Wrapped) result;
            using (var key = await UseKeyAsync(account, name, null, WrapKey, strict: true, cancellationToken).ConfigureAwait(false))
            {
                algorithm = PlatformAlgorithm(key);
                var copy = secret.ToArray();
                try
                {
                    result = (key.Version, Wrap(key, algorithm, copy));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(copy);
                }
            }

            await RecordAsync(account, "WrapKey", Resource(VaultItemKind.Key, name), PlatformDetails(result.Version, algorithm), cancellationToken).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    internal Task<byte[]> UnwrapForPlatformAsync(string account, string name, string version, ReadOnlyMemory<byte> wrapped, CancellationToken cancellationToken) =>
        AuditedAsync(account, "UnwrapKey", Resource(VaultItemKind.Key, name), async () =>
        {
            string algorithm;
            byte[] unwrapped;
            using (var key = await UseKeyAsync(account, name, version, UnwrapKey, strict: true, cancellationToken).ConfigureAwait(false))
            {
                algorithm = PlatformAlgorithm(key);
                try
                {
                    unwrapped = Unwrap(key, algorithm, wrapped.ToArray());
                }
                catch (CryptographicException)
                {
                    throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key does not unwrap with the customer-managed key.");
                }
            }

            try
            {
                await RecordAsync(account, "UnwrapKey", Resource(VaultItemKind.Key, name), PlatformDetails(version, algorithm), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(unwrapped);
                throw;
            }

            return unwrapped;
        }, cancellationToken);

    private static IReadOnlyList<KeyValuePair<string, string>> PlatformDetails(string version, string algorithm) =>
        [new("algorithm", algorithm), new("use", EncryptionScopeUse), new("version", version)];

    private static string PlatformAlgorithm(UsableKey key) => Family(key.Description.KeyType) switch
    {
        "RSA" => "RSA-OAEP-256",
        "oct" => $"A{key.Description.KeySize}KW",
        _ => throw new KeyVaultException(KeyVaultErrorCode.OperationNotPermitted, "Only RSA and symmetric keys can wrap an encryption scope's key."),
    };

    // Key material

    private async Task<KeyProperties> AddKeyVersionAsync(string account, string name, string keyType, int? keySize, string? curve, IReadOnlyList<string> operations, ItemChanges attributes, string operation, CancellationToken cancellationToken)
    {
        var version = NewVersionId();
        var (description, material) = NewKeyMaterial(keyType, keySize, curve, operations);
        byte[] wrapped;
        try
        {
            wrapped = keys.WrapVaultItem(account, VaultItemKind.Key.Tag(), Fold(name), version, material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }

        var details = new List<KeyValuePair<string, string>> { new("keyType", description.KeyType), new("version", version) };
        if (description.KeySize is { } size)
        {
            details.Add(new("keySize", Text(size)));
        }

        if (description.Curve is { } namedCurve)
        {
            details.Add(new("curve", namedCurve));
        }

        var entry = VaultEntry(account, operation, Resource(VaultItemKind.Key, name), details);
        var (state, stored) = await AddVersionAsync(account, VaultItemKind.Key, name, version, attributes with { ContentType = null }, KeyDescriptions.Serialize(description), wrapped, entry, cancellationToken).ConfigureAwait(false);
        var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        return DescribeKey(state, stored, settings);
    }

    private (KeyDescription Description, byte[] Material) NewKeyMaterial(string keyType, int? keySize, string? curve, IReadOnlyList<string> operations)
    {
        switch (Family(keyType))
        {
            case "RSA":
                {
                    var size = keySize ?? 2048;
                    if (size is not (2048 or 3072 or 4096) || curve is not null)
                    {
                        throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "An RSA key is 2048, 3072 or 4096 bits.");
                    }

                    using var rsa = RSA.Create(size);
                    var parameters = rsa.ExportParameters(includePrivateParameters: false);
                    return (new KeyDescription(keyType, operations, size, null, parameters.Modulus, parameters.Exponent, null, null), rsa.ExportPkcs8PrivateKey());
                }

            case "EC":
                {
                    var name = curve ?? "P-256";
                    var (named, bits) = Curve(name);
                    if (keySize is not null && keySize != bits)
                    {
                        throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The key size does not match the curve {name}.");
                    }

                    using var ecdsa = ECDsa.Create(named);
                    var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
                    return (new KeyDescription(keyType, operations, null, name, null, null, parameters.Q.X, parameters.Q.Y), ecdsa.ExportPkcs8PrivateKey());
                }

            default:
                {
                    var size = keySize ?? 256;
                    if (size is not (128 or 192 or 256) || curve is not null)
                    {
                        throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "A symmetric (oct) key is 128, 192 or 256 bits.");
                    }

                    var material = new byte[size / 8];
                    random.Fill(material);
                    return (new KeyDescription(keyType, operations, size, null, null, null, null, null), material);
                }
        }
    }

    /// <summary>
    /// Loads a key version for one operation, checking on every call that it exists, is not
    /// deleted, is enabled, permits the operation and (for the operations Azure bounds in time,
    /// or always when <paramref name="strict"/>) is inside its nbf/exp window.
    /// </summary>
    private async Task<UsableKey> UseKeyAsync(string account, string name, string? version, string operation, bool strict, CancellationToken cancellationToken)
    {
        var (state, found) = await RequireLiveAsync(account, VaultItemKind.Key, name, version, cancellationToken).ConfigureAwait(false);
        if (!found.Enabled)
        {
            throw new KeyVaultException(KeyVaultErrorCode.KeyDisabled, $"Operation {operation} is not allowed on a disabled key.");
        }

        if (strict || TimeBoundOperations.Contains(operation))
        {
            var now = time.GetUtcNow();
            if (found.NotBefore is { } notBefore && now < notBefore)
            {
                throw new KeyVaultException(KeyVaultErrorCode.KeyNotYetValid, $"Operation {operation} is not allowed on a key that is not yet valid.");
            }

            if (found.Expires is { } expires && now >= expires)
            {
                throw new KeyVaultException(KeyVaultErrorCode.KeyExpired, $"Operation {operation} is not allowed on an expired key.");
            }
        }

        var description = KeyDescriptions.Parse(found.KeyDescription!);
        if (!description.KeyOperations.Contains(operation))
        {
            throw new KeyVaultException(KeyVaultErrorCode.OperationNotPermitted, $"Operation {operation} is not permitted on this key.");
        }

        var material = keys.UnwrapVaultItem(account, VaultItemKind.Key.Tag(), state.Name, found.Version, found.WrappedValue);
        return new UsableKey(state.DisplayName, found.Version, description, material);
    }

    private static byte[] Wrap(UsableKey key, string algorithm, byte[] secret)
    {
        switch (algorithm)
        {
            case "RSA-OAEP" or "RSA-OAEP-256":
                RequireFamily(key, "RSA", algorithm);
                using (var rsa = key.Rsa())
                {
                    return rsa.Encrypt(secret, OaepPadding(algorithm));
                }

            case "A128KW" or "A192KW" or "A256KW":
                RequireOct(key, algorithm, AesBits(algorithm));
                if (secret.Length < 16 || secret.Length % 8 != 0)
                {
                    throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "AES key wrap takes a key of a multiple of 8 bytes, at least 16.");
                }

                return AesKeyWrap.Wrap(key.Material, secret);
            default:
                throw Unsupported(algorithm);
        }
    }

    private static byte[] Unwrap(UsableKey key, string algorithm, byte[] wrapped)
    {
        switch (algorithm)
        {
            case "RSA-OAEP" or "RSA-OAEP-256":
                RequireFamily(key, "RSA", algorithm);
                using (var rsa = key.Rsa())
                {
                    return rsa.Decrypt(wrapped, OaepPadding(algorithm));
                }

            case "A128KW" or "A192KW" or "A256KW":
                RequireOct(key, algorithm, AesBits(algorithm));
                return AesKeyWrap.Unwrap(key.Material, wrapped);
            default:
                throw Unsupported(algorithm);
        }
    }

    private KeyProperties DescribeKey(VaultItemState state, VaultItemVersion version, VaultSettings settings) =>
        new(state.DisplayName, version.Version, KeyDescriptions.Parse(version.KeyDescription!), version.Tags, Attributes(version, settings), Deletion(state));

    private static KeyOperationResult Result(UsableKey key, byte[] value) => new(key.Name, key.Version, value);

    internal static string Family(string keyType) => keyType switch
    {
        "RSA" or "RSA-HSM" => "RSA",
        "EC" or "EC-HSM" => "EC",
        "oct" or "oct-HSM" => "oct",
        _ => throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The key type '{keyType}' is not supported: use RSA, EC or oct."),
    };

    private static string[] DefaultOperations(string family) => family switch
    {
        "RSA" => RsaOperations,
        "EC" => EcOperations,
        _ => OctOperations,
    };

    private static string[] ValidateOperations(string keyType, IReadOnlyList<string> operations)
    {
        var allowed = DefaultOperations(Family(keyType));
        foreach (var operation in operations)
        {
            if (!allowed.Contains(operation))
            {
                throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The key operation '{operation}' is not valid for a key of type {keyType}.");
            }
        }

        return operations.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static (ECCurve Curve, int Bits) Curve(string name) => name switch
    {
        "P-256" => (ECCurve.NamedCurves.nistP256, 256),
        "P-384" => (ECCurve.NamedCurves.nistP384, 384),
        "P-521" => (ECCurve.NamedCurves.nistP521, 521),
        _ => throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The curve '{name}' is not supported: use P-256, P-384 or P-521."),
    };

    private static (string Family, HashAlgorithmName Hash, bool Pss, string? Curve) SignatureAlgorithm(string algorithm) => algorithm switch
    {
        "RS256" => ("RSA", HashAlgorithmName.SHA256, false, null),
        "RS384" => ("RSA", HashAlgorithmName.SHA384, false, null),
        "RS512" => ("RSA", HashAlgorithmName.SHA512, false, null),
        "PS256" => ("RSA", HashAlgorithmName.SHA256, true, null),
        "PS384" => ("RSA", HashAlgorithmName.SHA384, true, null),
        "PS512" => ("RSA", HashAlgorithmName.SHA512, true, null),
        "ES256" => ("EC", HashAlgorithmName.SHA256, false, "P-256"),
        "ES384" => ("EC", HashAlgorithmName.SHA384, false, "P-384"),
        "ES512" => ("EC", HashAlgorithmName.SHA512, false, "P-521"),
        _ => throw Unsupported(algorithm),
    };

    private static void RequireDigest(byte[] digest, HashAlgorithmName hash)
    {
        var expected = hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : 64;
        if (digest.Length != expected)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The digest must be {expected} bytes for this algorithm.");
        }
    }

    private static void RequireFamily(UsableKey key, string family, string algorithm)
    {
        if (Family(key.Description.KeyType) != family)
        {
            throw new KeyVaultException(KeyVaultErrorCode.UnsupportedAlgorithm, $"The algorithm {algorithm} is not valid for a key of type {key.Description.KeyType}.");
        }
    }

    private static void RequireCurve(UsableKey key, string curve, string algorithm)
    {
        if (key.Description.Curve != curve)
        {
            throw new KeyVaultException(KeyVaultErrorCode.UnsupportedAlgorithm, $"The algorithm {algorithm} is not valid for a key on curve {key.Description.Curve}.");
        }
    }

    private static void RequireOct(UsableKey key, string algorithm, int bits)
    {
        RequireFamily(key, "oct", algorithm);
        if (key.Description.KeySize != bits)
        {
            throw new KeyVaultException(KeyVaultErrorCode.UnsupportedAlgorithm, $"The algorithm {algorithm} needs a {bits}-bit key; this key has {key.Description.KeySize} bits.");
        }
    }

    private static int AesBits(string algorithm) => int.Parse(algorithm.AsSpan(1, 3), System.Globalization.CultureInfo.InvariantCulture);

    private static RSAEncryptionPadding OaepPadding(string algorithm) =>
        algorithm == "RSA-OAEP-256" ? RSAEncryptionPadding.OaepSHA256 : RSAEncryptionPadding.OaepSHA1;

    private static KeyVaultException Unsupported(string algorithm) =>
        new(KeyVaultErrorCode.UnsupportedAlgorithm, $"The algorithm '{algorithm}' is not supported.");

    /// <summary>A key version's material for the length of one operation; wiped on dispose.</summary>
    private sealed class UsableKey(string name, string version, KeyDescription description, byte[] material) : IDisposable
    {
        public string Name { get; } = name;

        public string Version { get; } = version;

        public KeyDescription Description { get; } = description;

        public byte[] Material { get; } = material;

        public RSA Rsa()
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(Material, out _);
            return rsa;
        }

        public ECDsa Ecdsa()
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(Material, out _);
            return ecdsa;
        }

        public void Dispose() => CryptographicOperations.ZeroMemory(Material);
    }
}
