#!/usr/bin/env bash
# What transparency logging costs (issue 4's targets: logging `writes` costs under 10% of 4 KiB put
# throughput, logging `all` under 20% of 4 KiB get throughput). Three fresh `strongroom server --dev`
# processes, the development account's data-plane logging set to none, writes and all with
# `strongroom audit settings` (run against each live server over its control socket); the load tool
# runs put 4KiB and get 4KiB at concurrency 16 against each, rotating which server goes first, for
# several rounds; the median round per server and operation is reported with the ratios.
#
#   bench/audit.sh                 3 rounds of 10 s cells after 2 s warmup (~4 min)
#   bench/audit.sh --quick         1 round of 1 s cells after 0.5 s warmup (a smoke check)
#   options: --duration 10s --warmup 2s --rounds 3 --concurrency 16 --strict (exit 3 on a missed target)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
ROUNDS=3
CONCURRENCY=16
STRICT=""
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s; ROUNDS=1 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --strict) STRICT=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is required (apt-get install jq)"

open_workspace audit
OUT="$ROOT/bench/results/audit-$(date -u +%Y%m%dT%H%M%SZ)"

build_bench
build_strongroom
mkdir -p "$OUT"

SETTINGS=(none writes all)
declare -A PORT PID
for setting in "${SETTINGS[@]}"; do
  mkdir -p "$WORK/$setting"
  PORT[$setting]="$(free_port)"
  start_strongroom "${PORT[$setting]}" "$WORK/$setting" "$OUT/$setting.log"
  PID[$setting]=$LAST_PID
done
for setting in "${SETTINGS[@]}"; do
  wait_for_port "$setting" "${PID[$setting]}" "${PORT[$setting]}" "$OUT/$setting.log"
  # Runs inside the live server (control socket); the change is itself logged.
  dotnet "$STRONGROOM_DLL" audit settings --account "$DEV_ACCOUNT" --data-plane "$setting" --data "$WORK/$setting" >"$OUT/$setting-settings.txt" \
    || { cat "$OUT/$setting-settings.txt" >&2; die "could not set data-plane logging to $setting"; }
  grep -q "Data plane:        $setting" "$OUT/$setting-settings.txt" || die "the server on $WORK/$setting did not take --data-plane $setting"
done
log "data on $(filesystem_of "$WORK"); $ROUNDS round(s) of put,get 4KiB × $CONCURRENCY, $DURATION cells after $WARMUP warmup"

for ((round = 0; round < ROUNDS; round++)); do
  for op in put get; do
    # Rotate the order each round and operation so no setting always runs first (or last).
    if [[ $op == get ]]; then shift_by=$(((round * 2 + 1) % 3)); else shift_by=$(((round * 2) % 3)); fi
    order=("${SETTINGS[@]:shift_by}" "${SETTINGS[@]:0:shift_by}")
    for setting in "${order[@]}"; do
      kill -0 "${PID[$setting]}" 2>/dev/null || die "the $setting server exited (log: $OUT/$setting.log)"
      log "round $((round + 1)): $op 4KiB × $CONCURRENCY, logging $setting"
      rc=0
      dotnet "$BENCH_DLL" run "$(connection_string "${PORT[$setting]}")" --label "audit-$setting" --ops "$op" --sizes 4KiB \
        --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/$setting-round$round.json" --append >/dev/null || rc=$?
      ((rc == 0)) || log "$setting $op: cell flagged or failed (exit $rc); see $OUT/$setting-round$round.json"
    done
  done
done
stop_all

# Median ops/s over rounds per setting and operation (flagged cells count as 0).
median() { # SETTING OP
  local values
  values="$(for file in "$OUT/$1"-round*.json; do
    jq -r --arg op "$2" '[.cells[] | select(.op == $op)][0] | if .flagged then 0 else .opsPerSecond end' "$file"
  done | sort -g)"
  awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' <<<"$values"
}
declare -A OPS
for setting in "${SETTINGS[@]}"; do
  for op in put get; do OPS[$setting,$op]="$(median "$setting" "$op")"; done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v min="$2" 'BEGIN { if (r != "n/a" && r >= min) print "PASS"; else print "MISS" }'; }
PUT_RATIO="$(ratio "${OPS[writes,put]}" "${OPS[none,put]}")"
GET_RATIO="$(ratio "${OPS[all,get]}" "${OPS[none,get]}")"
PUT_VERDICT="$(verdict "$PUT_RATIO" 0.90)"
GET_VERDICT="$(verdict "$GET_RATIO" 0.80)"
{
  echo "## Transparency logging cost: 4 KiB, concurrency $CONCURRENCY, median of $ROUNDS round(s) of $DURATION"
  echo
  echo "| data-plane logging | put ops/s | get ops/s |"
  echo "| --- | ---: | ---: |"
  for setting in "${SETTINGS[@]}"; do
    printf '| %s | %.1f | %.1f |\n' "$setting" "${OPS[$setting,put]}" "${OPS[$setting,get]}"
  done
  echo
  echo "| ratio | value | target | result |"
  echo "| --- | ---: | ---: | --- |"
  echo "| put: writes / none | $PUT_RATIO | ≥ 0.90 (costs < 10%) | $PUT_VERDICT |"
  echo "| get: all / none | $GET_RATIO | ≥ 0.80 (costs < 20%) | $GET_VERDICT |"
} | tee "$OUT/table.md"
log "results in $OUT"
if [[ -n $STRICT && ($PUT_VERDICT == MISS || $GET_VERDICT == MISS) ]]; then exit 3; fi
