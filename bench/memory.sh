#!/usr/bin/env bash
# Memory check from issue 2: a 1 GiB upload and download through the SDK must keep the server's
# peak RSS under 300 MiB. Starts a fresh disk-backed server, streams a generated (never buffered)
# 1 GiB blob up with the SDK's default transfer options, downloads it into a SHA-256 sink and checks
# it, then reads the server's VmHWM from /proc/PID/status while the process is still alive.
#
#   bench/memory.sh                    Strongroom --dev; exit 1 if peak RSS ≥ limit or content differs
#   bench/memory.sh --server azurite   the same against Azurite (for comparison; no limit applied)
#   options: --size 1GiB  --limit-mib 300
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

SERVER=strongroom
SIZE=1GiB
LIMIT_MIB=300
while (($#)); do
  case "$1" in
    --server) SERVER=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --limit-mib) LIMIT_MIB=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$SERVER" == strongroom || "$SERVER" == azurite ]] || die "--server takes strongroom or azurite"

open_workspace memory

build_bench
case "$SERVER" in
  strongroom) build_strongroom ;;
  azurite) ensure_azurite ;;
esac
mkdir -p "$WORK/data"
PORT="$(free_port)"
"start_$SERVER" "$PORT" "$WORK/data" "$WORK/server.log"
SERVER_PID=$LAST_PID
wait_for_port "$SERVER" "$SERVER_PID" "$PORT" "$WORK/server.log"
log "$SERVER idle RSS: $(( $(peak_rss_kib "$SERVER_PID") / 1024 )) MiB; streaming $SIZE up and down"

rc=0
dotnet "$BENCH_DLL" memory --connection-string "$(connection_string "$PORT")" --size "$SIZE" | tee "$WORK/memory.out" || rc=$?

kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/server.log" >&2; die "$SERVER exited during the run"; }
PEAK_KIB="$(peak_rss_kib "$SERVER_PID")"
[[ -n "$PEAK_KIB" ]] || die "could not read VmHWM of pid $SERVER_PID"
PEAK_MIB=$(( (PEAK_KIB + 1023) / 1024 ))
echo "server=$SERVER peak_rss_mib=$PEAK_MIB limit_mib=$LIMIT_MIB"
((rc == 0)) || die "content check failed (exit $rc)"
if [[ "$SERVER" != strongroom ]]; then
  echo "memory=reported (the limit applies to strongroom only)"
elif ((PEAK_MIB >= LIMIT_MIB)); then
  echo "memory=MISS"
  exit 1
else
  echo "memory=PASS"
fi
