using System.Security.Cryptography;
using OtpNet;
using Strongroom.Core;

namespace Strongroom.Access;

/// <summary>
/// The second factor: TOTP (RFC 6238) through Otp.NET with what authenticator apps support —
/// SHA-1, <see cref="Limits.TotpDigits"/> digits, <see cref="Limits.TotpStepSeconds"/>-second steps,
/// <see cref="Limits.TotpSeedBytes"/>-byte seeds — and a window of <see cref="Limits.TotpWindowSteps"/>
/// step either side of now. Time is always the caller's (an injected clock), never the machine's.
/// </summary>
public static class Totp
{
    public const string Issuer = "Strongroom";

    /// <summary>A fresh 160-bit seed.</summary>
    public static byte[] NewSeed(IRandomSource random)
    {
        var seed = new byte[Limits.TotpSeedBytes];
        random.Fill(seed);
        return seed;
    }

    public static string Base32(ReadOnlySpan<byte> seed) => Base32Encoding.ToString(seed.ToArray());

    /// <summary>
    /// The enrollment URI authenticator apps read:
    /// <c>otpauth://totp/Strongroom%20LABEL:PRINCIPAL?secret=…&amp;issuer=Strongroom&amp;algorithm=SHA1&amp;digits=6&amp;period=30</c>.
    /// </summary>
    public static string OtpAuthUri(string label, string principalId, string secretBase32) =>
        $"otpauth://totp/{Uri.EscapeDataString($"{Issuer} {label}")}:{Uri.EscapeDataString(principalId)}" +
        $"?secret={secretBase32}&issuer={Issuer}&algorithm=SHA1&digits={Limits.TotpDigits}&period={Limits.TotpStepSeconds}";

    /// <summary>The time step of <paramref name="time"/> (steps since the Unix epoch).</summary>
    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / Limits.TotpStepSeconds;

    /// <summary>
    /// The step within the window around <paramref name="now"/> whose code is <paramref name="code"/>,
    /// or null. The comparison is Otp.NET's (constant time); a code that is not exactly the right
    /// number of digits never matches.
    /// </summary>
    public static long? MatchStep(ReadOnlySpan<byte> seed, string? code, DateTimeOffset now)
    {
        if (code is null || code.Length != Limits.TotpDigits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var key = seed.ToArray();
        try
        {
            var totp = new OtpNet.Totp(key, step: Limits.TotpStepSeconds, mode: OtpHashMode.Sha1, totpSize: Limits.TotpDigits);
            var window = new VerificationWindow(previous: Limits.TotpWindowSteps, future: Limits.TotpWindowSteps);
            return totp.VerifyTotp(now.UtcDateTime, code, out var step, window) ? step : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The code of <paramref name="seed"/> at step <paramref name="step"/> (tests and tools).</summary>
    public static string CodeAt(ReadOnlySpan<byte> seed, long step)
    {
        var key = seed.ToArray();
        try
        {
            var totp = new OtpNet.Totp(key, step: Limits.TotpStepSeconds, mode: OtpHashMode.Sha1, totpSize: Limits.TotpDigits);
            return totp.ComputeTotp(DateTime.UnixEpoch.AddSeconds(step * Limits.TotpStepSeconds));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
