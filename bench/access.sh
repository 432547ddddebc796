#!/usr/bin/env bash
# What access control costs (issue 6), on one production server (HTTPS, initialised and unsealed)
# on 127.0.0.1, everything measured in the same run:
#   1. Get Blob 4 KiB at concurrency 16 with Shared Key (the account's default data-plane logging,
#      `writes`: reads are not recorded), under a read-data lockbox grant token (bearer; every
#      request validates the grant and the session against the store and is recorded in the
#      account's log before data is returned), and with Shared Key while the account logs `all`
#      (every read recorded before it returns: the fair peer). Rounds rotate the order; the median
#      round per mode is reported with the ratios grant / shared key and grant / shared key + all.
#   2. Sign-in latency (`POST v1/login`, Argon2id + TOTP + a session write, one at a time, each of
#      N audit admins signed in once) against a session-authenticated call (`GET v1/whoami`).
#
#   bench/access.sh              3 rounds of 8 s cells after 2 s warmup, 20 sign-ins (~2.5 min after the builds)
#   bench/access.sh --quick      1 round of 1 s cells after 0.5 s warmup, 5 sign-ins (a smoke check)
#   bench/access.sh --trace      also one extra (unmeasured) grant cell and Shared Key + all cell each under
#                                dotnet-trace (sampled thread time): top methods in the results directory
#   options: --duration 8s --warmup 2s --rounds 3 --concurrency 16 --signins 20 --whoami 200
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=8s
WARMUP=2s
ROUNDS=3
CONCURRENCY=16
SIGNINS=20
WHOAMI=200
TRACE=""
DOTNET_TRACE="${DOTNET_TRACE:-$HOME/.dotnet/tools/dotnet-trace}"
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s; ROUNDS=1; SIGNINS=5; WHOAMI=50 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --signins) SIGNINS=$2; shift ;;
    --whoami) WHOAMI=$2; shift ;;
    --trace) TRACE=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is required (apt-get install jq)"

ACCOUNT=benchacct
CONTAINER=bench
PREFIX=get/ # the load tool's get blobs are get/4KiB/0..3: the grant is scoped to a prefix, as a real one is

open_workspace access
OUT="$ROOT/bench/results/access-$(date -u +%Y%m%dT%H%M%SZ)"
build_bench
build_strongroom
mkdir -p "$OUT"
umask 077 # the scratch files below hold passwords, TOTP secrets, the account key and the grant token

sr() { dotnet "$STRONGROOM_DLL" "$@"; }
password() { printf 'Bench-%s-pw\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

DATA="$WORK/data"
log "initialising a production data directory (1 share of 1)"
sr init --shares 1 --threshold 1 --share-dir "$WORK/shares" --data "$DATA" >"$OUT/init.txt"
BLOB_PORT="$(free_port)"
MANAGEMENT_PORT="$(free_port)"
while [[ $MANAGEMENT_PORT == "$BLOB_PORT" ]]; do MANAGEMENT_PORT="$(free_port)"; done
start_strongroom_production "$BLOB_PORT" "$MANAGEMENT_PORT" "$DATA" "$OUT/server.log"
SERVER_PID=$LAST_PID
wait_for_port strongroom "$SERVER_PID" "$BLOB_PORT" "$OUT/server.log"
wait_for_port management "$SERVER_PID" "$MANAGEMENT_PORT" "$OUT/server.log"
sr unseal --data "$DATA" <"$WORK"/shares/share-1-of-1-gen1.txt | grep -q Unsealed || die "the server did not unseal"
CERT="$DATA/tls/server.crt"

# Principals on the host: the first operator (a security admin) and the account's administrator.
sr account create "$ACCOUNT" --data "$DATA" --json >"$WORK/account.json"
KEY1="$(jq -r .key1 "$WORK/account.json")"
SECURITY_PASSWORD="$(password)"
TENANT_PASSWORD="$(password)"
sr operator create benchsec --role security-admin --data "$DATA" --json <<<"$SECURITY_PASSWORD" >"$WORK/security.json"
sr account admin create "$ACCOUNT" benchten --data "$DATA" --json <<<"$TENANT_PASSWORD" >"$WORK/tenant.json"
jq -n --slurpfile s "$WORK/security.json" --slurpfile t "$WORK/tenant.json" \
  --arg sp "$SECURITY_PASSWORD" --arg tp "$TENANT_PASSWORD" --arg account "$ACCOUNT" \
  '{securityAdmin: {name: $s[0].name, password: $sp, totpSecret: $s[0].totpSecret},
    tenantAdmin: {account: $account, name: $t[0].name, password: $tp, totpSecret: $t[0].totpSecret}}' >"$WORK/principals.json"

ENDPOINT="https://127.0.0.1:$BLOB_PORT/$ACCOUNT"
CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=$ACCOUNT;AccountKey=$KEY1;BlobEndpoint=$ENDPOINT;"

# Shared Key first: creates the container and the four get blobs the grant then reads.
log "creating the container and the get blobs (Shared Key)"
dotnet "$BENCH_DLL" run "$CONNECTION_STRING" --ca-cert "$CERT" --label prime --ops get --sizes 4KiB --concurrency "$CONCURRENCY" \
  --duration 0.5s --warmup 0.2s >/dev/null || die "the priming run against $ENDPOINT failed"

log "management plane: sign-in latency ($SIGNINS sign-ins), whoami ($WHOAMI), then a read-data lockbox grant on $CONTAINER/$PREFIX"
dotnet "$BENCH_DLL" access --management "https://127.0.0.1:$MANAGEMENT_PORT/" --ca-cert "$CERT" --principals "$WORK/principals.json" \
  --container "$CONTAINER" --prefix "$PREFIX" --signins "$SIGNINS" --whoami "$WHOAMI" --token-out "$WORK/grant.token" \
  --json "$OUT/signin.json" | tee "$OUT/signin.txt" >&2
# The Argon2id parameters actually stored (the PHC prefix only, never the salt or hash).
ARGON2="$(sqlite3 -readonly "$DATA/metadata.db" "SELECT password_hash FROM principals" | cut -d'$' -f1-4 | sort -u | paste -sd, -)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of the server, in clock ticks
set_logging() { # none|writes|all
  sr audit settings --account "$ACCOUNT" --data-plane "$1" --data "$DATA" >"$WORK/settings.txt" \
    || { cat "$WORK/settings.txt" >&2; die "could not set data-plane logging to $1"; }
  grep -q "Data plane:        $1" "$WORK/settings.txt" || die "the server did not take --data-plane $1"
}
MODES=(shared-key grant shared-key-all)
LOGGING=""
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "data on $(filesystem_of "$WORK"); $ROUNDS round(s) of get 4KiB × $CONCURRENCY per mode, $DURATION cells after $WARMUP warmup"
for ((round = 0; round < ROUNDS; round++)); do
  order=("${MODES[@]:round % 3}" "${MODES[@]:0:round % 3}")
  for mode in "${order[@]}"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (log: $OUT/server.log)"
    # shared-key and grant under the account's default (writes: reads not recorded, except a grant's, always);
    # shared-key-all with every read recorded before it returns.
    want=writes
    [[ $mode == shared-key-all ]] && want=all
    if [[ $LOGGING != "$want" ]]; then set_logging "$want"; LOGGING=$want; fi
    log "round $((round + 1)): get 4KiB × $CONCURRENCY, $mode (data-plane logging $LOGGING)"
    if [[ $mode == grant ]]; then
      auth=(--bearer-token-file "$WORK/grant.token" --endpoint "$ENDPOINT")
    else
      auth=("$CONNECTION_STRING")
    fi
    cpu_before="$(cpu_ticks "$SERVER_PID")"
    rc=0
    dotnet "$BENCH_DLL" run "${auth[@]}" --ca-cert "$CERT" --label "access-$mode" --ops get --sizes 4KiB \
      --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/$mode-round$round.json" >&2 || rc=$?
    ((rc == 0)) || log "$mode: cell flagged or failed (exit $rc); see $OUT/$mode-round$round.json"
    # Server CPU per get: the server's CPU time over the whole cell (warmup included) ÷ every get it served.
    awk -v a="$cpu_before" -v b="$(cpu_ticks "$SERVER_PID")" -v hz="$(getconf CLK_TCK)" \
        -v n="$(jq -r '.cells[0].operationsIncludingWarmup' "$OUT/$mode-round$round.json")" \
        'BEGIN { printf "%.1f\n", (b - a) / hz * 1e6 / n }' >"$OUT/$mode-round$round.cpu"
  done
done
if [[ -n $TRACE ]]; then
  [[ -x $DOTNET_TRACE ]] || die "--trace needs dotnet-trace at $DOTNET_TRACE (dotnet tool install -g dotnet-trace)"
  for mode in grant shared-key-all; do
    want=writes
    [[ $mode == shared-key-all ]] && want=all
    if [[ $LOGGING != "$want" ]]; then set_logging "$want"; LOGGING=$want; fi
    if [[ $mode == grant ]]; then auth=(--bearer-token-file "$WORK/grant.token" --endpoint "$ENDPOINT"); else auth=("$CONNECTION_STRING"); fi
    log "traced cell (not in the table): get 4KiB × $CONCURRENCY, $mode, 6 s of dotnet-sampled-thread-time"
    dotnet "$BENCH_DLL" run "${auth[@]}" --ca-cert "$CERT" --label "trace-$mode" --ops get --sizes 4KiB \
      --concurrency "$CONCURRENCY" --duration 10s --warmup 1s --json "$OUT/trace-$mode.json" >&2 &
    load_pid=$!
    sleep 3
    "$DOTNET_TRACE" collect -p "$SERVER_PID" --profile dotnet-sampled-thread-time --duration 00:00:00:06 \
      -o "$OUT/trace-$mode.nettrace" >"$OUT/trace-$mode.collect.txt" 2>&1 || log "dotnet-trace failed: see $OUT/trace-$mode.collect.txt"
    wait "$load_pid" || true
    "$DOTNET_TRACE" report "$OUT/trace-$mode.nettrace" topN -n 60 --inclusive >"$OUT/trace-$mode.inclusive.txt" 2>&1 || true
    "$DOTNET_TRACE" report "$OUT/trace-$mode.nettrace" topN -n 40 >"$OUT/trace-$mode.exclusive.txt" 2>&1 || true
  done
fi
ENTRIES="$(sqlite3 -readonly "$DATA/metadata.db" "SELECT count(*) FROM audit_entries" 2>/dev/null || echo "?")"
stop_all

# Median over rounds per mode of ops/s, p50 and p99 (a flagged cell counts as 0 ops/s).
median_of() { # MODE JQ_EXPRESSION
  local values
  values="$(for file in "$OUT/$1"-round*.json; do
    jq -r "[.cells[] | select(.op == \"get\")][0] | $2" "$file"
  done | sort -g)"
  awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' <<<"$values"
}
declare -A OPS P50 P99 CPU
for mode in "${MODES[@]}"; do
  CPU[$mode]="$(sort -g "$OUT/$mode"-round*.cpu | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
  OPS[$mode]="$(median_of "$mode" 'if .flagged then 0 else .opsPerSecond end')"
  P50[$mode]="$(median_of "$mode" '.latencyMs.p50')"
  P99[$mode]="$(median_of "$mode" '.latencyMs.p99')"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
per_round() { # A B: the ratio per round
  local r out=()
  for ((r = 0; r < ROUNDS; r++)); do
    out+=("$(ratio "$(jq -r '.cells[0] | if .flagged then 0 else .opsPerSecond end' "$OUT/$1-round$r.json")" \
                     "$(jq -r '.cells[0] | if .flagged then 0 else .opsPerSecond end' "$OUT/$2-round$r.json")")")
  done
  local IFS=,; echo "${out[*]}"
}
ms() { jq -r ".$1.latencyMs.$2 | . * 100 | round / 100" "$OUT/signin.json"; }
{
  echo "## Access: Get Blob 4 KiB × $CONCURRENCY over HTTPS, median of $ROUNDS round(s) of $DURATION"
  echo
  echo "| authentication | data-plane logging | ops/s | p50 ms | p99 ms | server CPU µs/get |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '| Shared Key | writes (reads not recorded) | %.1f | %.2f | %.2f | %.0f |\n' "${OPS[shared-key]}" "${P50[shared-key]}" "${P99[shared-key]}" "${CPU[shared-key]}"
  printf '| lockbox grant (bearer) | every read recorded (grant) | %.1f | %.2f | %.2f | %.0f |\n' "${OPS[grant]}" "${P50[grant]}" "${P99[grant]}" "${CPU[grant]}"
  printf '| Shared Key | all (every read recorded) | %.1f | %.2f | %.2f | %.0f |\n' "${OPS[shared-key-all]}" "${P50[shared-key-all]}" "${P99[shared-key-all]}" "${CPU[shared-key-all]}"
  echo
  echo "| ratio (ops/s) | median rounds | per round |"
  echo "| --- | ---: | --- |"
  echo "| grant / Shared Key | $(ratio "${OPS[grant]}" "${OPS[shared-key]}") | $(per_round grant shared-key) |"
  echo "| grant / Shared Key with logging all | $(ratio "${OPS[grant]}" "${OPS[shared-key-all]}") | $(per_round grant shared-key-all) |"
  echo "| Shared Key all / Shared Key | $(ratio "${OPS[shared-key-all]}" "${OPS[shared-key]}") | $(per_round shared-key-all shared-key) |"
  echo
  echo "## Management plane: one call at a time, one keep-alive HTTPS connection"
  echo
  echo "| call | n | p50 ms | p99 ms | min ms | max ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for call in signin whoami operatorCreate argon2id; do
    name=$(case $call in
      signin) echo 'POST v1/login (Argon2id, TOTP, session write)';;
      whoami) echo 'GET v1/whoami (session)';;
      operatorCreate) echo 'POST v1/operators (Argon2id hash, TOTP seed wrap, audit)';;
      *) echo 'Argon2id hash alone, in the load tool'"'"'s process';;
    esac)
    echo "| $name | $(jq -r ".$call.count" "$OUT/signin.json") | $(ms "$call" p50) | $(ms "$call" p99) | $(ms "$call" min) | $(ms "$call" max) |"
  done
  echo
  echo "Argon2id parameters stored: \`$ARGON2\` ($(jq -r .argon2idCpuMsPerHash "$OUT/signin.json") CPU ms per hash in process); transparency-log entries after the run: $ENTRIES."
  echo "Machine: $(nproc) cores, $(uname -sr), load average before the cells: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT/table.md"
log "results in $OUT"
