#!/usr/bin/env bash
# Runs the whole test suite: builds once, runs every test project, prints the totals last.
# Needs the .NET 10 SDK (the tests bring their libraries through NuGet), Node.js with npm
# (Azurite, installed below, stands in for remote datacenters; the JavaScript SDK is a client under
# test) and, when azure-cli or rclone is missing, apt-get as root to install them.
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

# Azurite (npm) plays the remote datacenters of the remote-site tests: the version bench/lib.sh pins,
# installed into .build/tools/azurite once. Without it those tests fail and say so.
azurite_version=$(sed -n 's/^AZURITE_VERSION="\([^"]*\)".*/\1/p' bench/lib.sh)
azurite_dir="$root/.build/tools/azurite"
azurite_installed=
if [ -f "$azurite_dir/node_modules/azurite/package.json" ] && command -v node >/dev/null 2>&1; then
    azurite_installed=$(node -p "require('$azurite_dir/node_modules/azurite/package.json').version")
fi
if [ -z "$azurite_version" ]; then
    echo "test.sh: no AZURITE_VERSION in bench/lib.sh." >&2
elif [ "$azurite_installed" = "$azurite_version" ]; then
    :
elif ! command -v npm >/dev/null 2>&1; then
    echo "test.sh: npm was not found: Azurite $azurite_version cannot be installed and the remote-site tests will fail." >&2
else
    echo "== install azurite@$azurite_version into .build/tools/azurite"
    mkdir -p "$azurite_dir"
    npm install --prefix "$azurite_dir" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" \
        || echo "test.sh: installing Azurite failed; the remote-site tests will fail." >&2
fi
if [ -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
    export STRONGROOM_AZURITE_BLOB="$azurite_dir/node_modules/.bin/azurite-blob"
fi

# The real clients the conformance tests drive (tests/Strongroom.Conformance.Tests/Clients): Debian's
# azure-cli (`az storage`) and rclone, installed with apt when missing, and the JavaScript SDK
# @azure/storage-blob at the version tests/clients/js/package.json pins, installed into
# .build/tools/storage-blob like Azurite. Without them those tests fail and say so.
missing_clients=()
command -v az >/dev/null 2>&1 || missing_clients+=(azure-cli)
command -v rclone >/dev/null 2>&1 || missing_clients+=(rclone)
if [ "${#missing_clients[@]}" -gt 0 ]; then
    sudo_prefix=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        sudo_prefix=(sudo -n)
    fi
    echo "== install ${missing_clients[*]} (apt)"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: apt-get was not found: ${missing_clients[*]} cannot be installed and the client tests will fail." >&2
    elif ! { "${sudo_prefix[@]}" apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing_clients[@]}"; }; then
        echo "test.sh: installing ${missing_clients[*]} failed; the client tests will fail." >&2
    fi
fi
storage_blob_version=$(sed -n 's/^ *"@azure\/storage-blob": *"\([^"]*\)".*/\1/p' tests/clients/js/package.json)
js_sdk_dir="$root/.build/tools/storage-blob"
storage_blob_installed=
if [ -f "$js_sdk_dir/node_modules/@azure/storage-blob/package.json" ] && command -v node >/dev/null 2>&1; then
    storage_blob_installed=$(node -p "require('$js_sdk_dir/node_modules/@azure/storage-blob/package.json').version")
fi
if [ -z "$storage_blob_version" ]; then
    echo "test.sh: no @azure/storage-blob version in tests/clients/js/package.json." >&2
elif [ "$storage_blob_installed" = "$storage_blob_version" ]; then
    :
elif ! command -v npm >/dev/null 2>&1; then
    echo "test.sh: npm was not found: @azure/storage-blob $storage_blob_version cannot be installed and the JavaScript client test will fail." >&2
else
    echo "== install @azure/storage-blob@$storage_blob_version into .build/tools/storage-blob"
    mkdir -p "$js_sdk_dir"
    npm install --prefix "$js_sdk_dir" --no-audit --no-fund --no-package-lock --loglevel=error "@azure/storage-blob@$storage_blob_version" \
        || echo "test.sh: installing @azure/storage-blob failed; the JavaScript client test will fail." >&2
fi
if [ -f "$js_sdk_dir/node_modules/@azure/storage-blob/package.json" ]; then
    export STRONGROOM_JS_SDK_DIR="$js_sdk_dir"
fi

# >>> PostgreSQL (issue 9, lane pgstore) >>>
# A private PostgreSQL cluster (Debian's package, installed with apt when missing) for the tests
# that need one, and for a second pass of the in-process capability projects with their metadata
# store on PostgreSQL (STRONGROOM_TEST_METADATA=postgres). Stopped on exit.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    pg_sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        pg_sudo=(sudo -n)
    fi
    echo "== install postgresql (apt)"
    if ! { "${pg_sudo[@]}" apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive "${pg_sudo[@]}" apt-get install -y -qq postgresql; }; then
        echo "test.sh: installing postgresql failed; the PostgreSQL tests will fail." >&2
    fi
fi
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/strongroom-pg.XXXXXX")
stop_postgres() { tests/postgres.sh stop "$pg_dir" >/dev/null 2>&1; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
export STRONGROOM_TEST_REQUIRE_POSTGRES=1
if pg_connection=$(tests/postgres.sh start "$pg_dir"); then
    export STRONGROOM_TEST_POSTGRES="$pg_connection"
    export STRONGROOM_TEST_POSTGRES_CA="$pg_dir/ca.crt"
else
    echo "test.sh: the PostgreSQL test cluster did not start; the PostgreSQL tests will fail." >&2
fi
# <<< PostgreSQL (issue 9, lane pgstore) <<<

# ---- issue 9, frontdoor: nginx (begin) ----
# Debian's nginx is the load balancer of the conformance suite's nginx pass and of FrontDoorTests
# (tests/Strongroom.Conformance.Tests/Infrastructure/NginxFront.cs starts private instances; the
# system service is never started). Installed with apt when missing; the tests then require it.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    nginx_sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        nginx_sudo=(sudo -n)
    fi
    echo "== install nginx (apt)"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: apt-get was not found: nginx cannot be installed and the load-balancer tests will fail." >&2
    elif ! { "${nginx_sudo[@]}" apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive "${nginx_sudo[@]}" apt-get install -y -qq --no-install-recommends nginx; }; then
        echo "test.sh: installing nginx failed; the load-balancer tests will fail." >&2
    fi
fi
export STRONGROOM_TEST_REQUIRE_NGINX=1
# ---- issue 9, frontdoor: nginx (end) ----

# ---- issue 10, console-core (begin) ----
# Debian's chromium is the browser of the web console's tests (tests/Strongroom.Conformance.Tests/
# Console, driven by Microsoft.Playwright with ExecutablePath=/usr/bin/chromium; no browser is ever
# downloaded). Installed with apt when missing; the tests then require it. Their screenshots go to
# .build/test-results/console-screenshots.
if [ ! -x /usr/bin/chromium ]; then
    chromium_sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        chromium_sudo=(sudo -n)
    fi
    echo "== install chromium (apt)"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: apt-get was not found: chromium cannot be installed and the console tests will fail." >&2
    elif ! { "${chromium_sudo[@]}" apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive "${chromium_sudo[@]}" apt-get install -y -qq --no-install-recommends chromium; }; then
        echo "test.sh: installing chromium failed; the console tests will fail." >&2
    fi
fi
export STRONGROOM_TEST_REQUIRE_CHROMIUM=1
export STRONGROOM_TEST_RESULTS_DIR="$results"
# ---- issue 10, console-core (end) ----

echo "== build (Release)"
if ! dotnet build Strongroom.slnx -c Release --nologo -v quiet -clp:NoSummary; then
    echo "test.sh: the solution did not build." >&2
    broken+=("Strongroom.slnx")
fi

passed=0
failed=0
skipped=0

# run_project PROJECT [TRX-SUFFIX [FILTER]]: the suffix names a second pass of the same project
# (e.g. .postgres); FILTER (dotnet test --filter) limits that pass to some tests.
run_project() {
    local project=$1
    local suffix=${2:-}
    local filter=${3:-}
    local filter_args=()
    if [ -n "$filter" ]; then
        filter_args=(--filter "$filter")
    fi
    local name trx build_flag status counters p f e t a n
    name=$(basename "$project" .csproj)$suffix
    trx="$results/$name.trx"
    # Projects not (yet) in the solution are built by dotnet test itself.
    build_flag=--no-build
    if ! grep -qF "\"$project\"" Strongroom.slnx; then
        build_flag=
    fi

    echo "== $name"
    dotnet test "$project" -c Release --nologo $build_flag "${filter_args[@]}" \
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

conformance=tests/Strongroom.Conformance.Tests/Strongroom.Conformance.Tests.csproj
durations=()
for project in tests/*/*.csproj; do
    if [ "$project" != "$log_scan" ]; then
        started=$SECONDS
        run_project "$project"
        durations+=("$(basename "$project" .csproj) $((SECONDS - started))s")
    fi

    # ---- issue 9, frontdoor: conformance modes (begin) ----
    # The SDK conformance suite twice more: every server on a fresh PostgreSQL database, then two
    # servers on one database behind nginx (TestModes.cs; tests that need exactly one process return
    # early there, see TestModes.SingleProcessOnly).
    if [ "$project" = "$conformance" ]; then
        if [ -z "${STRONGROOM_TEST_POSTGRES:-}" ]; then
            echo "test.sh: STRONGROOM_TEST_POSTGRES is not set: the postgres and nginx passes of the conformance suite will fail." >&2
        fi
        # The multi-server and front-door tests start their own servers on PostgreSQL and nginx in
        # every mode: they run once, in the default pass. Behind nginx, the classes that talk only to
        # the management plane, the vault plane or one process (server 1 in that mode anyway) run in
        # the two passes before; the SDK-facing rest goes through the balancer.
        mode_independent='FullyQualifiedName!~.MultiServer.&FullyQualifiedName!~.FrontDoorTests'
        mode_independent="$mode_independent&FullyQualifiedName!~.Tests.WebConsole." # issue 10, console-core: the web console tests (Console/)
        management_only='FullyQualifiedName!~.ManagementLoginTests&FullyQualifiedName!~.ManagementPlaneTests&FullyQualifiedName!~.LockboxTests&FullyQualifiedName!~.OperatorGrantTests&FullyQualifiedName!~.TransferTests&FullyQualifiedName!~.VaultPlaneTests&FullyQualifiedName!~.MemoryTests&FullyQualifiedName!~.AuditVerifyTests&FullyQualifiedName!~.CrashTests&FullyQualifiedName!~.MetricsTests'
        started=$SECONDS
        STRONGROOM_TEST_METADATA=postgres run_project "$project" .postgres "$mode_independent"
        durations+=("Strongroom.Conformance.Tests.postgres $((SECONDS - started))s")
        started=$SECONDS
        STRONGROOM_TEST_FRONT=nginx run_project "$project" .nginx "$mode_independent&$management_only"
        durations+=("Strongroom.Conformance.Tests.nginx $((SECONDS - started))s")
    fi
    # ---- issue 9, frontdoor: conformance modes (end) ----
done
echo "== durations: ${durations[*]}"

# >>> PostgreSQL pass (issue 9, lane pgstore) >>>
# The in-process capability projects again, their store fixtures on a fresh PostgreSQL schema each.
for pg_project in Storage Blobs Access KeyVault Destruction Placement Protocol; do
    STRONGROOM_TEST_METADATA=postgres run_project "tests/Strongroom.$pg_project.Tests/Strongroom.$pg_project.Tests.csproj" .postgres
done
# <<< PostgreSQL pass (issue 9, lane pgstore) <<<

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
