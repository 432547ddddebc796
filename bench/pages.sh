#!/usr/bin/env bash
# Issue 8's page writes: Put Page against Strongroom (--dev, disk-backed, encryption on; a page blob
# is stored as 1 MiB encrypted chunks and a page write re-encrypts only the chunks it touches) and
# Azurite (npm azurite, disk mode) in one run, cell by cell, alternating which server goes first.
# Each worker writes its own sparse page blob (created, nothing written) at seeded random 512-aligned
# offsets; then, for contrast, Put Blob overwrites of 4 KiB. Prints the table with the ratios
# Strongroom/Azurite and, per server, page/put. See bench/README.md, "Page writes (issue 8)".
#
#   bench/pages.sh               page 4KiB,64KiB x concurrency 1,16, then put 4KiB x 1,16; 10 s cells, 2 s warmup (~2 min)
#   bench/pages.sh --quick       1 s cells, 0.5 s warmup (smoke check)
#
# Other options: --duration 10s --warmup 2s --sizes 4KiB,64KiB (page sizes) --put-sizes 4KiB
#                --concurrency 1,16 --page-blob-size 1GiB --only strongroom|azurite
#                --out DIR (default bench/results/pages-<UTC stamp>)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
SIZES=4KiB,64KiB
PUT_SIZES=4KiB
CONCURRENCY=1,16
PAGE_BLOB_SIZE=1GiB
ONLY=""
OUT=""
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --put-sizes) PUT_SIZES=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --page-blob-size) PAGE_BLOB_SIZE=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
select_targets "$ONLY"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$ROOT/bench/results/pages-$STAMP}"
mkdir -p "$OUT"
open_workspace "pages-$STAMP"
save_results() { # the servers' logs outlive the workspace
  for target in "${TARGETS[@]}"; do
    [[ -f "$WORK/$target.log" ]] && cp "$WORK/$target.log" "$OUT/$target.log" || true
  done
}

build_bench
declare -A PORT PID CS
start_targets
log "data on $(filesystem_of "$WORK") under $WORK; results in $OUT"
log "page sizes=$SIZES in page blobs of $PAGE_BLOB_SIZE; put sizes=$PUT_SIZES; concurrency=$CONCURRENCY duration=$DURATION warmup=$WARMUP"
log "load average before the cells: $(cut -d' ' -f1-3 /proc/loadavg)"

FAILED=0
run_cell() { # TARGET OP SIZE CONCURRENCY
  local target=$1 rc=0
  if ! kill -0 "${PID[$target]}" 2>/dev/null; then
    log "$target is no longer running; skipping $2 $3 c$4"
    FAILED=1
    return 0
  fi
  dotnet "$BENCH_DLL" --connection-string "${CS[$target]}" --label "$target" \
    --ops "$2" --sizes "$3" --concurrency "$4" --duration "$DURATION" --warmup "$WARMUP" \
    --page-blob-size "$PAGE_BLOB_SIZE" --json "$OUT/$target.json" --append || rc=$?
  case $rc in
    0) ;;
    2) log "$target $2 $3 c$4: cell flagged (errors or no measured operation)"; FAILED=1 ;;
    *) log "$target $2 $3 c$4: bench tool failed (exit $rc)"; FAILED=1 ;;
  esac
}

# The cells in order: every page size, then the Put Blob contrast.
CELLS=()
for size in ${SIZES//,/ }; do CELLS+=("page $size"); done
for size in ${PUT_SIZES//,/ }; do CELLS+=("put $size"); done

cell=0
for spec in "${CELLS[@]}"; do
  read -r op size <<<"$spec"
  for concurrency in ${CONCURRENCY//,/ }; do
    # Alternate which server goes first so neither always runs on a warmer (or dirtier) machine.
    if ((cell % 2 == 0)); then order=("${TARGETS[@]}"); else order=(); for ((i=${#TARGETS[@]}-1; i>=0; i--)); do order+=("${TARGETS[$i]}"); done; fi
    for target in "${order[@]}"; do run_cell "$target" "$op" "$size" "$concurrency"; done
    cell=$((cell + 1))
  done
done

log "load average after the cells: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all
echo
{
  echo "#### Page writes: Put Page in a sparse page blob of $PAGE_BLOB_SIZE per worker vs Put Blob overwrite, $DURATION cells after $WARMUP warmup"
  echo
  if ((${#TARGETS[@]} == 2)); then
    dotnet "$BENCH_DLL" compare "$OUT/strongroom.json" "$OUT/azurite.json"
  else
    dotnet "$BENCH_DLL" table "$OUT/${TARGETS[0]}.json"
  fi
  echo
  echo "Machine: $(nproc) cores, $(uname -sr), data on $(filesystem_of "$ROOT/bench/.run"), load average now: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT/table.md"
log "results: $OUT/*.json, table: $OUT/table.md"
exit "$FAILED"
