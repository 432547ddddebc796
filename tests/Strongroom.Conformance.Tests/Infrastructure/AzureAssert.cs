using Azure;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

public static class AzureAssert
{
    /// <summary>
    /// Asserts that an SDK call fails with the given HTTP status and, when given, Azure error code,
    /// and returns the exception. The message carries the status, code and body the server sent.
    /// </summary>
    public static async Task<RequestFailedException> FailsAsync(int status, string? errorCode, Func<Task> action, string because = "")
    {
        try
        {
            await action();
        }
        catch (RequestFailedException e)
        {
            Assert.True(
                e.Status == status && (errorCode is null || e.ErrorCode == errorCode),
                $"{because}\nExpected {status} {errorCode ?? "<any code>"}, got {e.Status} {e.ErrorCode ?? "<no code>"}.\n{e.Message}");
            return e;
        }

        Assert.Fail($"{because}\nExpected {status} {errorCode ?? "<any code>"}, but the call succeeded.");
        throw new InvalidOperationException("unreachable");
    }

    public static Task<RequestFailedException> FailsAsync<T>(int status, string? errorCode, Func<Task<T>> action, string because = "") =>
        FailsAsync(status, errorCode, async () => { await action(); }, because);

    public static void Status(RawResponse response, int status, string? errorCode = null, string because = "")
    {
        Assert.True(
            response.Status == status && (errorCode is null || response.ErrorCode == errorCode),
            $"{because}\nExpected {status} {errorCode ?? string.Empty}, got:\n{response}");
    }

    public static void BytesEqual(ReadOnlyMemory<byte> expectedBytes, ReadOnlyMemory<byte> actualBytes, string what)
    {
        var expected = expectedBytes.Span;
        var actual = actualBytes.Span;
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        var common = Math.Min(expected.Length, actual.Length);
        var first = 0;
        while (first < common && expected[first] == actual[first])
        {
            first++;
        }

        Assert.Fail($"{what}: expected {expected.Length} bytes, got {actual.Length}; first difference at offset {first}.");
    }
}
