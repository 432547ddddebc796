using Strongroom.Core;

namespace Strongroom.Crypto.Tests;

public sealed class PasswordHashTests
{
    private const string Password = "Correct-horse-battery-7";

    [Fact]
    public void Argon2id_matches_the_RFC_9106_test_vector()
    {
        // RFC 9106 section 5.3: Argon2id, v=0x13, m=32 KiB, t=3, p=4, tag length 32.
        var password = Enumerable.Repeat((byte)0x01, 32).ToArray();
        var salt = Enumerable.Repeat((byte)0x02, 16).ToArray();
        var secret = Enumerable.Repeat((byte)0x03, 8).ToArray();
        var associatedData = Enumerable.Repeat((byte)0x04, 12).ToArray();

        var tag = PasswordHash.Argon2id(password, salt, new Argon2Cost(32, 3, 4), 32, secret, associatedData);

        Assert.Equal("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Hash_format_is_frozen()
    {
        var encoded = PasswordHash.Hash(Password, new SeededRandomSource(7));

        Assert.Equal(GoldenHash, encoded);
        Assert.True(PasswordHash.Verify(Password, GoldenHash));
    }

    // Frozen: a change to the encoding or the generator shows here.
    private const string GoldenHash = "$argon2id$v=19$m=19456,t=2,p=1$S2ME9pVi4Wj/QZnqH7IBsA$Z5sT3MCdv1z/NszUwY8yY3gGPGgSv6HwgU3J0ieZbbA";

    [Fact]
    public void Round_trips_and_refuses_another_password()
    {
        var encoded = PasswordHash.Hash(Password, SystemRandomSource.Instance);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", encoded, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify(Password, encoded));
        Assert.False(PasswordHash.Verify(Password + "x", encoded));
        Assert.False(PasswordHash.Verify(string.Empty, encoded));
        Assert.False(PasswordHash.NeedsRehash(encoded));
    }

    [Fact]
    public void Two_hashes_of_one_password_differ_by_salt()
    {
        var random = new SeededRandomSource(1);

        Assert.NotEqual(PasswordHash.Hash(Password, random), PasswordHash.Hash(Password, random));
    }

    [Fact]
    public void Parameters_travel_in_the_string()
    {
        // A hash made with other (bounded) costs verifies: stored strings survive a change of Current.
        var salt = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var hash = PasswordHash.Argon2id(System.Text.Encoding.UTF8.GetBytes(Password), salt, new Argon2Cost(64, 1, 2), 32);
        var encoded = $"$argon2id$v=19$m=64,t=1,p=2${Convert.ToBase64String(salt).TrimEnd('=')}${Convert.ToBase64String(hash).TrimEnd('=')}";
        Assert.Equal(encoded, PasswordHash.Hash(Password, new FixedSalt(salt), new Argon2Cost(64, 1, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PasswordHash.Hash(Password, new FixedSalt(salt), new Argon2Cost(4 * 1024 * 1024, 1, 1)));

        Assert.True(PasswordHash.Verify(Password, encoded));
        Assert.True(PasswordHash.NeedsRehash(encoded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a hash")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=1000,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=64$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=019456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$extra")]
    public void Malformed_or_unbounded_strings_are_refused(string encoded)
    {
        Assert.False(PasswordHash.TryParse(encoded, out _, out _, out _));
        Assert.False(PasswordHash.Verify(Password, encoded));
    }

    [Fact]
    public void A_well_formed_string_parses()
    {
        Assert.True(PasswordHash.TryParse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", out var parameters, out var salt, out var hash));
        Assert.Equal(new Argon2Cost(19456, 2, 1), parameters);
        Assert.Equal(16, salt.Length);
        Assert.Equal(32, hash.Length);
    }

    private sealed class FixedSalt(byte[] salt) : IRandomSource
    {
        public void Fill(Span<byte> destination) => salt.CopyTo(destination);
    }
}
