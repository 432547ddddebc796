#!/usr/bin/env bash
# Runs the same load matrix against Strongroom (--dev, disk-backed, encryption on) and Azurite (npm
# azurite, disk mode) in one go, cell by cell, alternating which server goes first, and prints the
# comparison table. See bench/README.md.
#
#   bench/run.sh                 full matrix: put,get x 4KiB,1MiB,64MiB x concurrency 1,16; 10 s cells, 2 s warmup
#   bench/run.sh --quick         1 s cells, 0.5 s warmup (smoke check)
#   bench/run.sh --only azurite  one server only (checks the tool without a Strongroom build)
#
# Other options: --duration 10s --warmup 2s --ops put,get --sizes 4KiB,1MiB,64MiB --concurrency 1,16
#                --out DIR (default bench/results/<UTC stamp>) --strict (exit 3 if any row misses its target)
#                --redundancy POLICY: set the development account's redundancy first (e.g.
#                custom:copies=1,zones=1,regions=1,sync for one copy, as Azurite keeps; the --dev
#                default writes LRS, three copies, on this one disk)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
OPS=put,get
SIZES=4KiB,1MiB,64MiB
CONCURRENCY=1,16
ONLY=""
OUT=""
STRICT=""
REDUNDANCY=""
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --ops) OPS=$2; shift ;;
    --redundancy) REDUNDANCY=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --strict) STRICT=--strict ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
select_targets "$ONLY"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$ROOT/bench/results/$STAMP}"
mkdir -p "$OUT"
open_workspace "$STAMP"
save_results() { # the servers' logs outlive the workspace
  for target in "${TARGETS[@]}"; do
    [[ -f "$WORK/$target.log" ]] && cp "$WORK/$target.log" "$OUT/$target.log" || true
  done
}

build_bench
declare -A PORT PID CS
start_targets
if [[ -n $REDUNDANCY && -n ${PORT[strongroom]:-} ]]; then
  dotnet "$STRONGROOM_DLL" account placement set "$DEV_ACCOUNT" --redundancy "$REDUNDANCY" --data "$WORK/strongroom-data" >"$OUT/placement.txt" 2>&1 \
    || { cat "$OUT/placement.txt" >&2; die "could not set the redundancy to $REDUNDANCY"; }
  log "strongroom: $DEV_ACCOUNT redundancy $REDUNDANCY"
fi
log "data on $(filesystem_of "$WORK") under $WORK; results in $OUT"
log "matrix: ops=$OPS sizes=$SIZES concurrency=$CONCURRENCY duration=$DURATION warmup=$WARMUP"

run_cell() { # TARGET OP SIZE CONCURRENCY
  local target=$1 rc=0
  if ! kill -0 "${PID[$target]}" 2>/dev/null; then
    log "$target is no longer running; skipping $2 $3 c$4"
    return 0
  fi
  dotnet "$BENCH_DLL" --connection-string "${CS[$target]}" --label "$target" \
    --ops "$2" --sizes "$3" --concurrency "$4" --duration "$DURATION" --warmup "$WARMUP" \
    --json "$OUT/$target.json" --append || rc=$?
  case $rc in
    0) ;;
    2) log "$target $2 $3 c$4: cell flagged (errors or no measured operation)" ;;
    *) log "$target $2 $3 c$4: bench tool failed (exit $rc)" ;;
  esac
}

cell=0
for op in ${OPS//,/ }; do
  for size in ${SIZES//,/ }; do
    for concurrency in ${CONCURRENCY//,/ }; do
      # Alternate which server goes first so neither always runs on a warmer (or dirtier) machine.
      if ((cell % 2 == 0)); then order=("${TARGETS[@]}"); else order=(); for ((i=${#TARGETS[@]}-1; i>=0; i--)); do order+=("${TARGETS[$i]}"); done; fi
      for target in "${order[@]}"; do run_cell "$target" "$op" "$size" "$concurrency"; done
      cell=$((cell + 1))
    done
  done
done

stop_all
echo
if ((${#TARGETS[@]} == 2)); then
  rc=0
  dotnet "$BENCH_DLL" compare "$OUT/strongroom.json" "$OUT/azurite.json" $STRICT | tee "$OUT/table.md" || rc=$?
  log "results: $OUT/{strongroom,azurite}.json, table: $OUT/table.md"
  exit "$rc"
else
  dotnet "$BENCH_DLL" table "$OUT/${TARGETS[0]}.json" | tee "$OUT/table.md"
  log "results: $OUT/${TARGETS[0]}.json, table: $OUT/table.md"
fi
