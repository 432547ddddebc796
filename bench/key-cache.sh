#!/usr/bin/env bash
# The 4 KiB Put Blob through the SDK with the unwrapped-key cache on and off (issue 3's target:
# cached unwrap adds under 5% to a 4 KiB put). Two fresh `strongroom server --dev` processes, one
# started with STRONGROOM_UNWRAPPED_KEY_CACHE=off; the load tool runs the same cells against each,
# alternating which goes first. Prints one table per server; results stay in bench/results/.
#
#   bench/key-cache.sh                 put 4KiB × concurrency 1,16; 10 s cells after 2 s warmup
#   bench/key-cache.sh --quick         1 s cells after 0.5 s warmup (a smoke check)
#   options: --duration 10s --warmup 2s --concurrency 1,16
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
CONCURRENCY=1,16
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

open_workspace key-cache
OUT="$ROOT/bench/results/key-cache-$(date -u +%Y%m%dT%H%M%SZ)"

build_bench
build_strongroom
mkdir -p "$OUT" "$WORK/on" "$WORK/off"

ON_PORT="$(free_port)"
start_strongroom "$ON_PORT" "$WORK/on" "$OUT/cache-on.log"
ON_PID=$LAST_PID
OFF_PORT="$(free_port)"
export STRONGROOM_UNWRAPPED_KEY_CACHE=off
start_strongroom "$OFF_PORT" "$WORK/off" "$OUT/cache-off.log"
unset STRONGROOM_UNWRAPPED_KEY_CACHE
OFF_PID=$LAST_PID
wait_for_port "cache-on" "$ON_PID" "$ON_PORT" "$OUT/cache-on.log"
wait_for_port "cache-off" "$OFF_PID" "$OFF_PORT" "$OUT/cache-off.log"

first=on
IFS=',' read -r -a LEVELS <<<"$CONCURRENCY"
for level in "${LEVELS[@]}"; do
  if [[ $first == on ]]; then order=(on off); first=off; else order=(off on); first=on; fi
  for label in "${order[@]}"; do
    port=$ON_PORT; [[ $label == off ]] && port=$OFF_PORT
    log "put 4KiB × $level, cache $label"
    dotnet "$BENCH_DLL" run "$(connection_string "$port")" --label "cache-$label" --ops put --sizes 4KiB \
      --concurrency "$level" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/cache-$label.json" --append >/dev/null
  done
done

echo "## unwrapped-key cache on"
dotnet "$BENCH_DLL" table "$OUT/cache-on.json"
echo
echo "## unwrapped-key cache off (STRONGROOM_UNWRAPPED_KEY_CACHE=off)"
dotnet "$BENCH_DLL" table "$OUT/cache-off.json"
log "results in $OUT"
