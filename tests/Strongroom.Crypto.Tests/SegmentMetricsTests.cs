using System.Diagnostics.Metrics;
using Strongroom.Core;
using Strongroom.Crypto;
using Xunit;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

/// <summary>
/// Each segment sealed or opened is timed under its suite (strongroom_segment_*_seconds). Other
/// tests of this assembly encrypt in parallel, so only this test's suite-tagged measurements made
/// on this thread's async flow are counted.
/// </summary>
public sealed class SegmentMetricsTests
{
    [Theory]
    [InlineData(CipherSuite.Aes256Gcm, "aes-256-gcm")]
    [InlineData(CipherSuite.Sm4Gcm, "sm4-gcm")]
    public async Task Every_segment_sealed_and_opened_is_timed_under_its_suite(CipherSuite suite, string name)
    {
        var local = new AsyncLocal<bool> { Value = true };
        var sealedSegments = 0;
        var openedSegments = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listening) =>
            {
                // By name: the instruments may be created while this listener runs (the class's first use).
                if (instrument.Meter.Name == StrongroomMetrics.MeterName && instrument.Name is "strongroom_segment_encryption_seconds" or "strongroom_segment_decryption_seconds")
                {
                    listening.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (!local.Value || tags.Length != 1 || tags[0].Key != StrongroomMetrics.SuiteLabel || (string?)tags[0].Value != name)
            {
                return;
            }

            Assert.True(value >= 0);
            if (instrument.Name == "strongroom_segment_encryption_seconds")
            {
                Interlocked.Increment(ref sealedSegments);
            }
            else
            {
                Interlocked.Increment(ref openedSegments);
            }
        });
        listener.Start();

        // Three full segments and a short one.
        var plaintext = Plaintext((3 * SmallSegment) + 10);
        var binding = BindingFor(suite);
        var ciphertext = Encrypt(plaintext, DataKey(), binding, suite: suite);
        Assert.Equal(4, sealedSegments);

        // A range inside the second segment opens only that one.
        using var range = new MemoryStream();
        await SegmentDecryptor.DecryptRangeAsync(new MemoryStream(ciphertext), plaintext.Length, DataKey(), binding, SmallSegment + 1, 5, range, CancellationToken.None);
        Assert.Equal(1, openedSegments);
    }
}
