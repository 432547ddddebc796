#!/usr/bin/env bash
# Runs the whole test suite: builds once, runs every test project, prints the totals last.
# Needs only the .NET 10 SDK (the tests bring everything else through NuGet).
set -uo pipefail

cd "$(dirname "$0")"
root=$(pwd)
export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
    echo "test.sh: 'dotnet' was not found on PATH; install the .NET 10 SDK." >&2
    exit 1
fi

results="$root/.build/test-results"
rm -rf "$results"
mkdir -p "$results"

# Every server the conformance tests start logs here, beside the digests of the secrets the tests
# handled; the log scan (run last) reads both. Fresh for every run.
export STRONGROOM_TEST_LOG_DIR="$root/.build/test-logs"
rm -rf "$STRONGROOM_TEST_LOG_DIR"
mkdir -p "$STRONGROOM_TEST_LOG_DIR"
log_scan=tests/Strongroom.LogScan.Tests/Strongroom.LogScan.Tests.csproj

broken=()

echo "== build (Release)"
if ! dotnet build Strongroom.slnx -c Release --nologo -v quiet -clp:NoSummary; then
    echo "test.sh: the solution did not build." >&2
    broken+=("Strongroom.slnx")
fi

passed=0
failed=0
skipped=0

run_project() {
    local project=$1
    local name trx build_flag status counters p f e t a n
    name=$(basename "$project" .csproj)
    trx="$results/$name.trx"
    # Projects not (yet) in the solution are built by dotnet test itself.
    build_flag=--no-build
    if ! grep -qF "\"$project\"" Strongroom.slnx; then
        build_flag=
    fi

    echo "== $name"
    dotnet test "$project" -c Release --nologo $build_flag \
        --logger "trx;LogFileName=$trx" --logger "console;verbosity=minimal" \
        --blame-hang-timeout 10m
    status=$?

    if [ ! -f "$trx" ]; then
        echo "test.sh: $name did not build or run (exit $status)." >&2
        broken+=("$name")
        return
    fi

    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    count() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    p=$(count passed); f=$(count failed); e=$(count error); t=$(count timeout); a=$(count aborted); n=$(count notExecuted)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
    skipped=$((skipped + ${n:-0}))
    if [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        echo "test.sh: $name exited $status without a failed test (crash or hang?)." >&2
        broken+=("$name")
    fi
}

for project in tests/*/*.csproj; do
    if [ "$project" != "$log_scan" ]; then
        run_project "$project"
    fi
done

# Last: the scan of every server log written above for key, share and token material.
run_project "$log_scan"

if [ "${#broken[@]}" -gt 0 ]; then
    echo "test.sh: did not build or complete: ${broken[*]}" >&2
fi

summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
    summary="$summary, $skipped skipped"
fi
echo "$summary"

if [ "$failed" -gt 0 ] || [ "${#broken[@]}" -gt 0 ]; then
    exit 1
fi
