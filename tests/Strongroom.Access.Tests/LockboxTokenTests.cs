using System.Buffers.Text;
using System.Text;
using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Access.Tests;

public sealed class LockboxTokenTests : LockboxTestBase
{
    [Fact]
    public async Task A_logged_out_session_stops_its_token()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        Assert.Equal("olga", (await Lockbox.ValidateAsync(token)).Operator);

        await Fixture.Identities.LogoutAsync(SessionTokens[Olga.Id]);
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }

    [Fact]
    public async Task An_idle_session_stops_its_token_and_use_keeps_it_alive()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;

        // Use on the data plane counts as activity...
        await AdvanceUsingAsync(token, TimeSpan.FromMinutes(40));
        Assert.Equal(active.Id, (await Lockbox.ValidateAsync(token)).GrantId);

        // ...and without it the session ends after 15 minutes, and the grant's token with it.
        Fixture.Time.Advance(Limits.SessionIdleTimeout);
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }

    [Fact]
    public async Task A_disabled_operator_has_no_grant()
    {
        var active = await ActiveAsync(Otto);
        var token = (await Lockbox.IssueTokenAsync(Otto, active.Id)).Token;
        await Fixture.Identities.DisableOperatorAsync(Sam, "otto");
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }

    [Fact]
    public async Task A_grant_ended_by_its_requester_stops_its_token()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        await Lockbox.EndAsync(Olga, active.Id);
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("srgrant1.")]
    [InlineData("srgrant1..")]
    [InlineData("srgrant1.abc")]
    [InlineData("srgrant1.abc.def.ghi")]
    [InlineData("srgrant1.!!!.???")]
    [InlineData("srsession1.abc.def")]
    public async Task Malformed_tokens_are_invalid(string token) =>
        Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(token)));

    [Fact]
    public async Task A_tampered_token_is_invalid()
    {
        var active = await ActiveAsync();
        var otherActive = await ActiveAsync(Otto);
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        var parts = token[LockboxService.GrantTokenPrefix.Length..].Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));

        // Another grant, operator or end in the same payload, under the original signature.
        foreach (var forged in new[]
        {
            payload.Replace(active.Id, otherActive.Id, StringComparison.Ordinal),
            payload.Replace("\"olga\"", "\"otto\"", StringComparison.Ordinal),
            payload.Replace("\"exp\":", "\"exp\":1", StringComparison.Ordinal),
        })
        {
            Assert.NotEqual(payload, forged);
            var tampered = LockboxService.GrantTokenPrefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forged)) + "." + parts[1];
            Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(tampered)));
        }

        // A flipped bit in the signature; a signature cut short.
        var signature = Base64Url.DecodeFromChars(parts[1]);
        signature[0] ^= 1;
        Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(LockboxService.GrantTokenPrefix + parts[0] + "." + Base64Url.EncodeToString(signature))));
        Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(LockboxService.GrantTokenPrefix + parts[0] + "." + parts[1][..20])));

        // The genuine one still works.
        Assert.Equal(active.Id, (await Lockbox.ValidateAsync(token)).GrantId);
    }

    [Fact]
    public async Task A_token_of_another_deployment_key_is_invalid()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;

        var directory = Directory.CreateTempSubdirectory("strongroom-other-keyring-").FullName;
        try
        {
            using var rootKey = RootKey.Generate(new SeededRandomSource(99));
            using var seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(98)), null, new SeededRandomSource(97));
            var elsewhere = NewService(Fixture.Options, new TenantKeys(seal, Fixture.Random));
            Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => elsewhere.ValidateAsync(token)));

            // And the other way round: its token is not accepted here.
            var foreign = (await elsewhere.IssueTokenAsync(Olga, active.Id)).Token;
            Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(foreign)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_sealed_vault_accepts_no_token()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        Fixture.Seal.Seal();
        Assert.Equal(ErrorCode.GrantTokenInvalid, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }
}
