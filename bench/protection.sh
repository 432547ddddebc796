#!/usr/bin/env bash
# What data protection costs (issue 7), on one production server (HTTPS, initialised and unsealed,
# the default single-site topology) on 127.0.0.1, every figure a ratio against a peer measured in
# the same run. Three accounts with different settings (`strongroom account protection`):
#   none   no versioning, no soft delete: an overwrite or a delete drops the old object, so its
#          data key is erased and the write group checkpoints and truncates the WAL before it is
#          acknowledged (SqliteMetadataStore.RunGroup, erasurePending)
#   vers   versioning on: an overwrite keeps the old content as a previous version (nothing dropped)
#   soft   blob soft delete 7 days: an overwrite keeps a soft-deleted snapshot, a delete moves the
#          blob to a soft-deleted instance (nothing dropped)
# 1. Overwrite: 4 KiB Put Blob × 16 over a fixed set of existing names (--names, every write
#    replaces a blob) on none, vers and soft; the peer is 4 KiB Put Blob × 16 of NEW names on none.
# 2. Delete: 4 KiB Delete Blob × 16 on none vs soft (blobs uploaded, unmeasured, before each cell).
#    Cells are rotated across rounds; the median round per cell is reported.
# 3. Destruction: `strongroom account delete A --yes` of an account holding N 4 KiB blobs (2,000,
#    then 10,000 when 2,000 took under 24 s), timed around the CLI process; the peer is the time
#    to write those N blobs (× 16). A CLI round trip (`account show`) is timed too: its start-up.
#
#   bench/protection.sh            3 rounds of 5 s cells after 1 s warmup, N = 2,000 and 10,000 (~5 min after the builds)
#   bench/protection.sh --quick    1 round of 1 s cells after 0.5 s warmup, N = 500 (a smoke check)
#   options: --duration 5s --warmup 1s --rounds 3 --concurrency 16 --names 256 --pool 15000
#            --destroy "2000 10000"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=5s
WARMUP=1s
ROUNDS=3
CONCURRENCY=16
NAMES=256
POOL=15000
DESTROY="2000 10000"
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s; ROUNDS=1; POOL=4000; DESTROY="500" ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --names) NAMES=$2; shift ;;
    --pool) POOL=$2; shift ;;
    --destroy) DESTROY=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is required (apt-get install jq)"

open_workspace protection
OUT="$ROOT/bench/results/protection-$(date -u +%Y%m%dT%H%M%SZ)"
build_bench
build_strongroom
mkdir -p "$OUT"
umask 077 # the scratch files below hold the account keys

sr() { dotnet "$STRONGROOM_DLL" "$@"; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

DATA="$WORK/data"
log "initialising a production data directory (1 share of 1)"
sr init --shares 1 --threshold 1 --share-dir "$WORK/shares" --data "$DATA" >"$OUT/init.txt"
BLOB_PORT="$(free_port)"
MANAGEMENT_PORT="$(free_port)"
while [[ $MANAGEMENT_PORT == "$BLOB_PORT" ]]; do MANAGEMENT_PORT="$(free_port)"; done
start_strongroom_production "$BLOB_PORT" "$MANAGEMENT_PORT" "$DATA" "$OUT/server.log"
SERVER_PID=$LAST_PID
wait_for_port strongroom "$SERVER_PID" "$BLOB_PORT" "$OUT/server.log"
sr unseal --data "$DATA" <"$WORK"/shares/share-1-of-1-gen1.txt | grep -q Unsealed || die "the server did not unseal"
CERT="$DATA/tls/server.crt"

declare -A CS
create_account() { # NAME [protection options...]
  local name=$1; shift
  sr account create "$name" --data "$DATA" --json >"$WORK/$name.json"
  CS[$name]="DefaultEndpointsProtocol=https;AccountName=$name;AccountKey=$(jq -r .key1 "$WORK/$name.json");BlobEndpoint=https://127.0.0.1:$BLOB_PORT/$name;"
  if (($#)); then
    sr account protection "$name" "$@" --data "$DATA" >"$OUT/protection-$name.txt" 2>&1 \
      || { cat "$OUT/protection-$name.txt" >&2; die "could not set $* on $name"; }
  else
    sr account protection "$name" --data "$DATA" >"$OUT/protection-$name.txt" 2>&1 || true
  fi
}
create_account pnone
create_account pvers --versioning on
create_account psoft --blob-soft-delete-days 7

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of the server, in clock ticks
# cell name → account and operation
CELLS=(overwrite-none overwrite-vers overwrite-soft create-none delete-none delete-soft)
declare -A CELL_ACCOUNT=([overwrite-none]=pnone [overwrite-vers]=pvers [overwrite-soft]=psoft [create-none]=pnone [delete-none]=pnone [delete-soft]=psoft)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "data on $(filesystem_of "$WORK"); $ROUNDS round(s) of ${#CELLS[@]} cells (4KiB × $CONCURRENCY), $DURATION after $WARMUP warmup"
for ((round = 0; round < ROUNDS; round++)); do
  shift_by=$(((round * 2) % ${#CELLS[@]}))
  order=("${CELLS[@]:shift_by}" "${CELLS[@]:0:shift_by}")
  for cell in "${order[@]}"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (log: $OUT/server.log)"
    op=${cell%%-*}
    account=${CELL_ACCOUNT[$cell]}
    log "round $((round + 1)): $op 4KiB × $CONCURRENCY on $account"
    pool=()
    if [[ $op == delete ]]; then
      # The delete pool is uploaded first, outside the CPU window below.
      dotnet "$BENCH_DLL" fill "${CS[$account]}" --ca-cert "$CERT" --count "$POOL" --size 4KiB --concurrency "$CONCURRENCY" \
        --prefix "delete/round$round" >/dev/null
      pool=(--pool-prefix "delete/round$round")
    fi
    # Server CPU per operation over the whole cell (warmup included; the overwrite cell's 256 set-up
    # uploads are in it too, ~1% of its operations).
    cpu_before="$(cpu_ticks "$SERVER_PID")"
    rc=0
    dotnet "$BENCH_DLL" run "${CS[$account]}" --ca-cert "$CERT" --label "protection-$cell" --ops "$op" --sizes 4KiB \
      --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --names "$NAMES" --pool "$POOL" "${pool[@]}" \
      --json "$OUT/$cell-round$round.json" >&2 || rc=$?
    ((rc == 0)) || log "$cell: cell flagged or failed (exit $rc); see $OUT/$cell-round$round.json"
    echo "$(cpu_ticks "$SERVER_PID") $cpu_before" >"$OUT/$cell-round$round.cpu"
    if [[ $(jq -r '.cells[0].poolExhausted // false' "$OUT/$cell-round$round.json") == true ]]; then
      log "$cell: the delete pool ($POOL) ran out before the deadline; the cell ended early (raise --pool)"
    fi
  done
done

# Destruction: an account of N blobs, destroyed with `account delete --yes` while the server runs.
: >"$OUT/destroy.tsv"
show_seconds=""
for n in $DESTROY; do
  account="pdestroy$n"
  create_account "$account"
  log "destruction: writing $n blobs of 4 KiB × $CONCURRENCY into $account"
  dotnet "$BENCH_DLL" fill "${CS[$account]}" --ca-cert "$CERT" --count "$n" --size 4KiB --concurrency "$CONCURRENCY" \
    --prefix fill --json "$OUT/fill-$n.json" >&2
  started="$(now)"
  sr account show "$account" --data "$DATA" >"$OUT/show-$n.txt"
  show_seconds="$(seconds_since "$started")"
  log "destruction: strongroom account delete $account --yes"
  started="$(now)"
  sr account delete "$account" --yes --data "$DATA" >"$OUT/delete-$n.txt" 2>&1 || { cat "$OUT/delete-$n.txt" >&2; die "account delete failed"; }
  elapsed="$(seconds_since "$started")"
  sr account show "$account" --data "$DATA" >"$OUT/after-delete-$n.txt" 2>&1 || true
  printf '%s\t%s\t%s\t%s\n' "$n" "$(jq -r .seconds "$OUT/fill-$n.json")" "$elapsed" "$show_seconds" >>"$OUT/destroy.tsv"
  log "destruction of $n blobs: ${elapsed}s (CLI round trip ${show_seconds}s; writing them took $(jq -r .seconds "$OUT/fill-$n.json")s)"
  if awk -v e="$elapsed" -v n="$n" 'BEGIN { exit !(e * 10000 / n > 120) }'; then
    log "destruction: ${elapsed}s for $n blobs extrapolates past 2 min at 10,000; stopping there"
    break
  fi
done
ENTRIES="$(sqlite3 -readonly "$DATA/metadata.db" "SELECT count(*) FROM audit_entries" 2>/dev/null || echo "?")"
INSTANCES="$(sqlite3 -readonly "$DATA/metadata.db" "SELECT count(*) FROM blob_instances" 2>/dev/null || echo "?")"
stop_all

# Median over rounds per cell (a flagged cell counts as 0 ops/s).
median() { awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median_of() { # CELL JQ_EXPRESSION
  for file in "$OUT/$1"-round*.json; do jq -r ".cells[0] | $2" "$file"; done | sort -g | median
}
declare -A OPS P50 P99 CPU
for cell in "${CELLS[@]}"; do
  OPS[$cell]="$(median_of "$cell" 'if .flagged then 0 else .opsPerSecond end')"
  P50[$cell]="$(median_of "$cell" '.latencyMs.p50')"
  P99[$cell]="$(median_of "$cell" '.latencyMs.p99')"
  # Server CPU per operation over the whole cell (warmup included).
  CPU[$cell]="$(for ((r = 0; r < ROUNDS; r++)); do
    read -r after before <"$OUT/$cell-round$r.cpu"
    awk -v a="$before" -v b="$after" -v hz="$(getconf CLK_TCK)" -v n="$(jq -r '.cells[0].operationsIncludingWarmup' "$OUT/$cell-round$r.json")" \
      'BEGIN { if (n > 0) printf "%.1f\n", (b - a) / hz * 1e6 / n; else print 0 }'
  done | sort -g | median)"
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
describe() {
  case $1 in
    overwrite-none) echo 'overwrite, no protection (old object shredded, WAL truncated per group)';;
    overwrite-vers) echo 'overwrite, versioning on (old content kept as a version)';;
    overwrite-soft) echo 'overwrite, blob soft delete 7 d (old content kept as a soft-deleted snapshot)';;
    create-none) echo 'Put Blob of new names, no protection (nothing dropped): the peer';;
    delete-none) echo 'Delete Blob, no protection (shredded, WAL truncated per group)';;
    delete-soft) echo 'Delete Blob, blob soft delete 7 d (moved to a soft-deleted instance)';;
  esac
}
{
  echo "## Data protection: 4 KiB × $CONCURRENCY over HTTPS, one production server, median of $ROUNDS round(s) of $DURATION ($NAMES overwrite names, delete pool $POOL)"
  echo
  echo "| cell | ops/s | p50 ms | p99 ms | server CPU µs/op |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for cell in "${CELLS[@]}"; do
    printf '| %s | %.1f | %.2f | %.2f | %.0f |\n' "$(describe "$cell")" "${OPS[$cell]}" "${P50[$cell]}" "${P99[$cell]}" "${CPU[$cell]}"
  done
  echo
  echo "| ratio (ops/s) | median rounds | per round |"
  echo "| --- | ---: | --- |"
  echo "| (a) overwrite, no protection / (d) new names | $(ratio "${OPS[overwrite-none]}" "${OPS[create-none]}") | $(per_round overwrite-none create-none) |"
  echo "| (b) overwrite, versioning / (d) new names | $(ratio "${OPS[overwrite-vers]}" "${OPS[create-none]}") | $(per_round overwrite-vers create-none) |"
  echo "| (c) overwrite, soft delete / (d) new names | $(ratio "${OPS[overwrite-soft]}" "${OPS[create-none]}") | $(per_round overwrite-soft create-none) |"
  echo "| delete, no protection / delete, soft delete | $(ratio "${OPS[delete-none]}" "${OPS[delete-soft]}") | $(per_round delete-none delete-soft) |"
  echo
  echo "## Destruction: \`strongroom account delete A --yes\` on the running server (single site), timed around the CLI process"
  echo
  echo "| blobs (4 KiB) | write them × $CONCURRENCY, s | objects/s written | account delete, s | objects/s destroyed | delete / write time | CLI round trip (\`account show\`), s |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  while IFS=$'\t' read -r n write destroy show; do
    awk -v n="$n" -v w="$write" -v d="$destroy" -v s="$show" 'BEGIN { printf "| %d | %.2f | %.0f | %.2f | %.0f | %.3f | %.2f |\n", n, w, n / w, d, n / d, d / w, s }'
  done <"$OUT/destroy.tsv"
  echo
  echo "After the run: $ENTRIES transparency-log entries, $INSTANCES blob instances (versions and soft-deleted) in the store."
  echo "Machine: $(nproc) cores, $(uname -sr), data on $(filesystem_of "$ROOT/bench"), load average before the cells: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT/table.md"
log "results in $OUT"
