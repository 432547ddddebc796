#!/usr/bin/env bash
# What copies cost (issue 5's target: LRS put throughput at least 60% of one copy; reads
# unaffected). Three fresh `strongroom server --dev` processes on the development topology (nine
# local directory sites; see docs/datacenters.md); the development account's redundancy is set to
# one copy (custom:copies=1,zones=1,regions=1,sync), LRS (three sites in cn-east) and GRS (LRS plus
# three asynchronous copies in cn-north) with `strongroom account placement set` (run against each
# live server over its control socket). The load tool runs put and get at 4 KiB and 64 MiB against
# each, rotating which server goes first, for several rounds; the median round per server,
# operation and size is reported with the ratios against one copy measured in the same run.
# All sites share this machine's one disk: LRS writes three files where one copy writes one.
#
#   bench/placement.sh             3 rounds of 10 s cells after 2 s warmup (~10 min)
#   bench/placement.sh --quick     1 round of 2 s cells after 0.5 s warmup (a smoke check)
#   options: --duration 10s --warmup 2s --rounds 3 --concurrency 16 --sizes "4KiB 64MiB"
#            --strict (exit 3 on a missed target)
#   BENCH_WORK_DIR=/dev/shm/... puts the sites on tmpfs: fsync is free there, so the ratio is the
#   software cost of the copies alone, without the shared disk's three-fold I/O.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
ROUNDS=3
CONCURRENCY=16
SIZES="4KiB 64MiB"
STRICT=""
while (($#)); do
  case "$1" in
    --quick) DURATION=2s; WARMUP=0.5s; ROUNDS=1 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --strict) STRICT=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is required (apt-get install jq)"

open_workspace placement
OUT="$ROOT/bench/results/placement-$(date -u +%Y%m%dT%H%M%SZ)"

build_bench
build_strongroom
mkdir -p "$OUT"

POLICIES=(one lrs grs)
declare -A REDUNDANCY=([one]="custom:copies=1,zones=1,regions=1,sync" [lrs]="LRS" [grs]="GRS")
declare -A PORT PID
for policy in "${POLICIES[@]}"; do
  mkdir -p "$WORK/$policy"
  PORT[$policy]="$(free_port)"
  start_strongroom "${PORT[$policy]}" "$WORK/$policy" "$OUT/$policy.log"
  PID[$policy]=$LAST_PID
done
for policy in "${POLICIES[@]}"; do
  wait_for_port "$policy" "${PID[$policy]}" "${PORT[$policy]}" "$OUT/$policy.log"
  dotnet "$STRONGROOM_DLL" account placement set "$DEV_ACCOUNT" --redundancy "${REDUNDANCY[$policy]}" --data "$WORK/$policy" >"$OUT/$policy-placement.txt" 2>&1 \
    || { cat "$OUT/$policy-placement.txt" >&2; die "could not set the redundancy to ${REDUNDANCY[$policy]}"; }
done
read -r -a SIZE_LIST <<<"$SIZES"
log "data on $(filesystem_of "$WORK"); $ROUNDS round(s) of put,get at ${SIZES// /, } × $CONCURRENCY, $DURATION cells after $WARMUP warmup"

for ((round = 0; round < ROUNDS; round++)); do
  for size in "${SIZE_LIST[@]}"; do
    for op in put get; do
      shift_by=$(((round + ${#op}) % 3))
      order=("${POLICIES[@]:shift_by}" "${POLICIES[@]:0:shift_by}")
      for policy in "${order[@]}"; do
        kill -0 "${PID[$policy]}" 2>/dev/null || die "the $policy server exited (log: $OUT/$policy.log)"
        log "round $((round + 1)): $op $size × $CONCURRENCY, $policy"
        rc=0
        dotnet "$BENCH_DLL" run "$(connection_string "${PORT[$policy]}")" --label "placement-$policy" --ops "$op" --sizes "$size" \
          --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/$policy-$size-round$round.json" --append >/dev/null || rc=$?
        ((rc == 0)) || log "$policy $op $size: cell flagged or failed (exit $rc); see $OUT/$policy-$size-round$round.json"
      done
    done
  done
done
stop_all

# Median MiB/s and ops/s over rounds per policy, operation and size (flagged cells count as 0).
median() { # POLICY SIZE OP FIELD
  local values
  values="$(for file in "$OUT/$1-$2"-round*.json; do
    jq -r --arg op "$3" --arg field "$4" '[.cells[] | select(.op == $op)][0] | if .flagged then 0 else .[$field] end' "$file"
  done | sort -g)"
  awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' <<<"$values"
}
declare -A OPS
for policy in "${POLICIES[@]}"; do
  for size in "${SIZE_LIST[@]}"; do
    for op in put get; do OPS[$policy,$size,$op]="$(median "$policy" "$size" "$op" opsPerSecond)"; done
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v min="$2" 'BEGIN { if (r != "n/a" && r >= min) print "PASS"; else print "MISS" }'; }
MISSED=""
{
  echo "## Copies: put and get, concurrency $CONCURRENCY, median of $ROUNDS round(s) of $DURATION, sites on $(filesystem_of "$WORK")"
  echo
  echo "| redundancy | size | put ops/s | get ops/s |"
  echo "| --- | --- | ---: | ---: |"
  for policy in "${POLICIES[@]}"; do
    for size in "${SIZE_LIST[@]}"; do
      printf '| %s | %s | %.2f | %.2f |\n' "${REDUNDANCY[$policy]}" "$size" "${OPS[$policy,$size,put]}" "${OPS[$policy,$size,get]}"
    done
  done
  echo
  echo "| ratio against one copy | value | target | result |"
  echo "| --- | ---: | ---: | --- |"
  for size in "${SIZE_LIST[@]}"; do
    for policy in lrs grs; do
      r="$(ratio "${OPS[$policy,$size,put]}" "${OPS[one,$size,put]}")"
      if [[ $policy == lrs ]]; then
        v="$(verdict "$r" 0.60)"; [[ $v == MISS ]] && MISSED=1
        echo "| put $size: ${REDUNDANCY[$policy]} / one | $r | ≥ 0.60 | $v |"
      else
        echo "| put $size: ${REDUNDANCY[$policy]} / one | $r | – | – |"
      fi
    done
    for policy in lrs grs; do
      r="$(ratio "${OPS[$policy,$size,get]}" "${OPS[one,$size,get]}")"
      v="$(verdict "$r" 0.90)"; [[ $v == MISS ]] && MISSED=1
      echo "| get $size: ${REDUNDANCY[$policy]} / one | $r | ≥ 0.90 (unaffected) | $v |"
    done
  done
} >"$OUT/table.md"
cat "$OUT/table.md"
log "results in $OUT"
if [[ -n $STRICT && -n $MISSED ]]; then exit 3; fi
