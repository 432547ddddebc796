using System.Globalization;
using System.Text;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

public sealed partial class ApprovalSimulationTests
{
    /// <summary>
    /// What both simulations share: the seeded random, the step log printed on a failure, the
    /// counts in the summary, the outcome check against the model, and verifying every log as an
    /// extension of what was verified last time.
    /// </summary>
    private abstract class SimulationRun(int seed, string name)
    {
        private readonly List<string> log = [];
        private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, VerifierState> verified = new(StringComparer.Ordinal);

        protected Random Random { get; } = new(seed);

        protected int Seed => seed;

        protected int Step { get; set; }

        protected IReadOnlyDictionary<string, int> Counts => counts;

        /// <summary>Fails unless the service did what the model says: succeeded (no code) or refused.</summary>
        protected void Expect(bool success, ErrorCode? code, string what)
        {
            var kind = what.Split(' ', 2)[0].TrimEnd(':');
            Note(code is { } refused ? $"  {kind} refused: {refused}" : $"  {kind} ok");
            Count(kind + (code is null ? " ok" : " refused"));
            Check(success == (code is null), success ? $"{what}: the model allows it, the service refused with {code}" : $"{what}: the model refuses it, the service allowed it");
        }

        protected static async Task<(T? Value, ErrorCode? Code)> TryAsync<T>(Func<Task<T>> call)
        {
            try
            {
                return (await call(), null);
            }
            catch (StorageException exception)
            {
                return (default, exception.Code);
            }
        }

        protected T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

        protected void Count(string what) => counts[what] = counts.GetValueOrDefault(what) + 1;

        protected void Note(string what) => log.Add($"[{Step}] {what}");

        /// <summary>The counts, for the summary line each seed prints.</summary>
        protected string CountsText() => string.Join(", ", counts.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Value} {pair.Key}"));

        /// <summary>Every log in <paramref name="names"/> verifies, and extends what was verified last time.</summary>
        protected async Task VerifyLogsAsync(AccessFixture f, IEnumerable<string> names)
        {
            foreach (var log in names)
            {
                verified.TryGetValue(log, out var previous);
                var result = await LogVerifier.VerifyAsync(new StoreLogSource(f.Audit, log), previous, previous is null ? f.Audit.VerifierKey(log) : null);
                Check(result.Ok, $"log {log} does not verify: {result.Status}: {result.Message} (first bad index {result.FirstBadIndex})");
                verified[log] = result.NewState!;
            }

            Count("verifications");
        }

        protected void Check(bool condition, string what)
        {
            if (condition)
            {
                return;
            }

            var message = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"seed {seed}, step {Step}: {what}\nreplay: ApprovalSimulationTests ({name}) with seed {seed}\nlast steps:\n")
                .AppendJoin('\n', log.TakeLast(25))
                .ToString();
            Assert.Fail(message);
        }
    }
}
