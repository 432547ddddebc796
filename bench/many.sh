#!/usr/bin/env bash
# Issue 9: what PostgreSQL and a second server behind nginx cost a small request. 4 KiB Put Blob
# (create: a new name each time; put: each worker rewrites its own name) and Get Blob at concurrency
# 16 through the Azure SDK against, in one run:
#   sqlite        one `strongroom server --dev` on its embedded SQLite metadata
#   sqlite-nginx  nginx in front of that same server (one upstream): the cost of the proxy hop alone
#   pg            one `--dev` server whose metadata is on PostgreSQL (--metadata)
#   pair          two `--dev` servers on one PostgreSQL database and the same sites, behind nginx
#                 (round-robin, upstream keepalive)
# PostgreSQL is a private cluster started with tests/postgres.sh in the workspace (on the checkout's
# disk), made durable for the bench (fsync on, synchronous_commit on, full_page_writes on). The
# table gives ops/s, p50 and p99 per target and operation (median over rounds) and the ratios
# pg/sqlite, pair/pg, pair/sqlite and sqlite-nginx/sqlite.
#
#   bench/many.sh                  3 rounds of 10 s cells after 2 s warmup (~8 min)
#   bench/many.sh --quick          1 round of 1 s cells after 0.5 s warmup (a smoke check)
#   options: --duration 10s --warmup 2s --rounds 3 --concurrency 16 --ops create,put,get
#            --targets sqlite,sqlite-nginx,pg,pair   --pg-ssl-mode verify-full|disable (default verify-full)
#            --pg-extra 'Key=Value;...': more Npgsql settings for the servers (e.g. 'No Reset On Close=true')
#            --statements: count PostgreSQL statements per request (pg_stat_statements) after the rounds
#            --breakdown: after the rounds, where the time of one request goes (see bench/README.md,
#              "Issue 9"): per target and op, a concurrency-1 cell untraced, one with the server under
#              strace (bench/breakdown.py splits each request into phases), and syscall counts per
#              request at concurrency 16 (server and PostgreSQL processes)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

DURATION=10s
WARMUP=2s
ROUNDS=3
CONCURRENCY=16
OPS=create,put,get
TARGET_LIST=sqlite,sqlite-nginx,pg,pair
PG_SSL_MODE=verify-full
PG_EXTRA=""
STATEMENTS=""
BREAKDOWN=""
while (($#)); do
  case "$1" in
    --quick) DURATION=1s; WARMUP=0.5s; ROUNDS=1 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --ops) OPS=$2; shift ;;
    --targets) TARGET_LIST=$2; shift ;;
    --pg-ssl-mode) PG_SSL_MODE=$2; shift ;;
    --pg-extra) PG_EXTRA=$2; shift ;;
    --statements) STATEMENTS=1 ;;
    --breakdown) BREAKDOWN=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
case "$PG_SSL_MODE" in verify-full|disable) ;; *) die "--pg-ssl-mode takes verify-full or disable" ;; esac
IFS=, read -r -a TARGETS <<<"$TARGET_LIST"
for target in "${TARGETS[@]}"; do
  case "$target" in sqlite|sqlite-nginx|pg|pair) ;; *) die "unknown target $target (sqlite, sqlite-nginx, pg, pair)" ;; esac
done
wants() { [[ ",$TARGET_LIST," == *",$1,"* ]]; }
needs_nginx() { wants sqlite-nginx || wants pair; }
needs_pg() { wants pg || wants pair; }

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/many-$STAMP"
mkdir -p "$OUT"
open_workspace "many-$STAMP"
# The postgres user must reach the cluster directory inside the workspace (mktemp made it 0700).
chmod 755 "$WORK"
PG_DIR="$WORK/postgres"
save_results() {
  if [[ -f "$PG_DIR/PG_VERSION" ]]; then
    cp "$PG_DIR/server.log" "$OUT/postgres.log" 2>/dev/null || true
    "$ROOT/tests/postgres.sh" stop "$PG_DIR" || true
  fi
  cp "$WORK/nginx/error.log" "$OUT/nginx-error.log" 2>/dev/null || true
}

# Why a target did not run, shown in the table instead of numbers.
declare -A SKIPPED PORT PID
skip() { # TARGET REASON
  SKIPPED[$1]=$2
  log "$1: not run: $2"
}

build_bench
build_strongroom
mkdir -p "$OUT"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# A --dev server on a free port (and a free management port: several run side by side) with extra
# arguments; LAST_PID is the server. Returns non-zero (after logging its tail) when it does not come up.
# METADATA (a connection string, or empty for SQLite) goes in $STRONGROOM_METADATA rather than on
# the command line, where `ps` would show its password.
start_dev() { # NAME DATA_DIR METADATA ARGS...
  local name=$1 data=$2 metadata=$3
  shift 3
  mkdir -p "$data"
  PORT[$name]="$(free_port)"
  if [[ -n $metadata ]]; then
    STRONGROOM_METADATA="$metadata" dotnet "$STRONGROOM_DLL" server --dev --data "$data" --port "${PORT[$name]}" --management-port "$(free_port)" "$@" >"$OUT/$name.log" 2>&1 &
  else
    dotnet "$STRONGROOM_DLL" server --dev --data "$data" --port "${PORT[$name]}" --management-port "$(free_port)" "$@" >"$OUT/$name.log" 2>&1 &
  fi
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  PID[$name]=$LAST_PID
  local deadline=$((SECONDS + ${BENCH_START_TIMEOUT_SECONDS:-120}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$LAST_PID" 2>/dev/null; then
      tail -n 15 "$OUT/$name.log" >&2 || true
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$name]}") 2>/dev/null; then
      log "$name is listening on 127.0.0.1:${PORT[$name]} (pid $LAST_PID)"
      return 0
    fi
    sleep 0.2
  done
  tail -n 15 "$OUT/$name.log" >&2 || true
  return 1
}

# True once the server's banner (printed before "Ready.") names a shared metadata database rather
# than a metadata.db file: a build that ignored $STRONGROOM_METADATA must not pass for PostgreSQL.
on_postgres() { # NAME
  local deadline=$((SECONDS + 30))
  until grep -q '^Ready\.' "$OUT/$1.log" || ((SECONDS >= deadline)); do sleep 0.2; done
  grep -q '^Metadata:' "$OUT/$1.log" && ! grep '^Metadata:' "$OUT/$1.log" | grep -q 'metadata\.db'
}

# --- the servers -------------------------------------------------------------------------------

# Always started: besides being a target, it writes the development sample topology (nine directory
# sites, LRS: three copies) that every other server gets a copy of, so all targets store the same
# way. (A --dev server on shared metadata would otherwise write a one-site topology: one copy.)
start_dev sqlite "$WORK/sqlite" "" || die "the SQLite server did not start (log: $OUT/sqlite.log)"
# A fresh data directory holding a copy of the sample topology (its site paths are relative, so
# they resolve inside that directory: each deployment has its own sites).
with_sample_topology() { # DATA_DIR
  mkdir -p "$1"
  cp "$WORK/sqlite/topology.toml" "$1/topology.toml"
}

PG_CS=""
PG_SETTINGS=""
if needs_pg; then
  if ! dotnet "$STRONGROOM_DLL" server --help 2>/dev/null | grep -q -- '--metadata'; then
    for target in pg pair; do wants "$target" && skip "$target" "this build has no \`server --metadata\` (issue 9 lanes cli/pgstore not merged)"; done
  elif [[ ! -x "$ROOT/tests/postgres.sh" ]]; then
    for target in pg pair; do wants "$target" && skip "$target" "tests/postgres.sh missing (issue 9 lane pgstore not merged)"; done
  else
    base_cs="$("$ROOT/tests/postgres.sh" start "$PG_DIR")" || die "tests/postgres.sh could not start a cluster in $PG_DIR"
    # tests/postgres.sh makes a TEST cluster (fsync, synchronous_commit and full_page_writes off).
    # A benchmark of durable writes needs them on, as a deployment runs: ALTER SYSTEM (in
    # postgresql.auto.conf, which wins over postgresql.conf) and a restart. pg_stat_statements is
    # loaded for --statements (it costs nothing measurable when nobody reads it).
    psql_admin() { PGPASSWORD="$(cat "$PG_DIR/strongroom.password")" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$(cat "$PG_DIR/strongroom.port")" -U strongroom -d postgres "$@"; }
    psql_admin -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
      -c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
    "$ROOT/tests/postgres.sh" stop "$PG_DIR"
    base_cs="$("$ROOT/tests/postgres.sh" start "$PG_DIR")" || die "the cluster in $PG_DIR did not restart"
    PG_SETTINGS="$(psql_admin -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','server_version','shared_buffers')")"
    [[ $PG_SETTINGS == *"fsync=on"* && $PG_SETTINGS == *"synchronous_commit=on"* ]] || die "the bench cluster is not durable: $PG_SETTINGS"
    log "PostgreSQL in $PG_DIR ($(filesystem_of "$PG_DIR")): $PG_SETTINGS"
    psql_admin -c "CREATE DATABASE bench_single" -c "CREATE DATABASE bench_pair" >/dev/null
    psql_admin -d bench_single -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    psql_admin -d bench_pair -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    if [[ $PG_SSL_MODE == verify-full ]]; then tls="SSL Mode=VerifyFull;Root Certificate=$PG_DIR/ca.crt"; else tls="SSL Mode=Disable"; fi
    # Without the password in any log: the servers print the store's Description, never this.
    PG_CS="${base_cs%Database=postgres}$tls;${PG_EXTRA:+${PG_EXTRA%;};}"
    if wants pg; then
      with_sample_topology "$WORK/pg"
      if ! start_dev pg "$WORK/pg" "${PG_CS}Database=bench_single"; then
        skip pg "the server on PostgreSQL did not start (see $OUT/pg.log)"
      elif ! on_postgres pg; then
        skip pg "the server did not take its metadata from PostgreSQL (see $OUT/pg.log)"
      fi
    fi
    if wants pair; then
      # The second server shares the first one's sites: its topology file names them (relative
      # paths resolve against the file's directory), and the vault and accounts are in the database.
      with_sample_topology "$WORK/pair-a"
      if ! start_dev pair-a "$WORK/pair-a" "${PG_CS}Database=bench_pair" || ! on_postgres pair-a; then
        skip pair "the first server on PostgreSQL did not start (see $OUT/pair-a.log)"
      elif ! start_dev pair-b "$WORK/pair-b" "${PG_CS}Database=bench_pair" --topology "$WORK/pair-a/topology.toml" || ! on_postgres pair-b; then
        skip pair "the second server on PostgreSQL did not start (see $OUT/pair-b.log)"
      fi
    fi
  fi
fi

# --- nginx ---------------------------------------------------------------------------------------

nginx_target() { # NAME PORT BACKEND_PORT...
  local name=$1 port=$2 backends="" backend
  shift 2
  for backend in "$@"; do backends+="    server 127.0.0.1:$backend max_fails=1 fail_timeout=5s;"$'\n'; done
  awk -v name="$name" -v port="$port" -v backends="${backends%$'\n'}" \
    '{ gsub(/@NAME@/, name); gsub(/@PORT@/, port); if ($0 ~ /^@BACKENDS@$/) print backends; else print }' \
    "$ROOT/bench/nginx-many-target.conf" >"$WORK/nginx/targets/$name.conf"
}
if needs_nginx && { [[ -n ${PORT[sqlite]:-} ]] || { wants pair && [[ -z ${SKIPPED[pair]:-} ]]; }; }; then
  if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    log "installing nginx (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null || die "apt-get install nginx failed"
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  mkdir -p "$WORK/nginx/targets"
  sed "s|@PREFIX@|$WORK/nginx|g" "$ROOT/bench/nginx-many.conf" >"$WORK/nginx/nginx.conf"
  if wants sqlite-nginx; then
    PORT[sqlite-nginx]="$(free_port)"
    nginx_target sqlite_nginx "${PORT[sqlite-nginx]}" "${PORT[sqlite]}"
  fi
  if wants pair && [[ -z ${SKIPPED[pair]:-} ]]; then
    PORT[pair]="$(free_port)"
    nginx_target pair "${PORT[pair]}" "${PORT[pair-a]}" "${PORT[pair-b]}"
  fi
  "$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$OUT/nginx-check.txt" || { cat "$OUT/nginx-check.txt" >&2; die "nginx rejected the configuration"; }
  cp "$WORK/nginx/nginx.conf" "$OUT/nginx.conf"
  cat "$WORK/nginx/targets/"*.conf >>"$OUT/nginx.conf"
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$OUT/nginx.log" 2>&1 &
  NGINX_PID=$!
  STARTED_PIDS+=("$NGINX_PID")
  for target in sqlite-nginx pair; do
    if [[ -n ${PORT[$target]:-} ]]; then
      PID[$target]=$NGINX_PID
      wait_for_port "nginx ($target)" "$NGINX_PID" "${PORT[$target]}" "$OUT/nginx.log"
    fi
  done
fi
if [[ -n ${PORT[pair]:-} ]]; then PAIR_PIDS=("${PID[pair-a]}" "${PID[pair-b]}"); fi

# The targets that run, in order.
RUN=()
for target in "${TARGETS[@]}"; do
  [[ -z ${SKIPPED[$target]:-} && -n ${PORT[$target]:-} ]] && RUN+=("$target")
done
((${#RUN[@]} > 0)) || die "no target could run"
alive() { # TARGET: the target's processes are all running
  case "$1" in
    pair) kill -0 "${PID[pair]}" 2>/dev/null && kill -0 "${PAIR_PIDS[0]}" 2>/dev/null && kill -0 "${PAIR_PIDS[1]}" 2>/dev/null ;;
    sqlite-nginx) kill -0 "${PID[sqlite-nginx]}" 2>/dev/null && kill -0 "${PID[sqlite]}" 2>/dev/null ;;
    *) kill -0 "${PID[$1]}" 2>/dev/null ;;
  esac
}

log "data on $(filesystem_of "$WORK") under $WORK; $(nproc) cores; load average $LOAD_BEFORE"
log "$ROUNDS round(s) of $OPS 4KiB × $CONCURRENCY, $DURATION cells after $WARMUP warmup, targets: ${RUN[*]}"

# --- the rounds ----------------------------------------------------------------------------------

IFS=, read -r -a OP_LIST <<<"$OPS"
step=0
for ((round = 0; round < ROUNDS; round++)); do
  for op in "${OP_LIST[@]}"; do
    # Rotate the order from one cell to the next so no target always runs first (or last).
    shift_by=$((step % ${#RUN[@]}))
    order=("${RUN[@]:shift_by}" "${RUN[@]:0:shift_by}")
    step=$((step + 1))
    for target in "${order[@]}"; do
      alive "$target" || { log "$target: a process exited; skipping round $((round + 1)) $op"; continue; }
      log "round $((round + 1)): $op 4KiB × $CONCURRENCY → $target"
      rc=0
      dotnet "$BENCH_DLL" run "$(connection_string "${PORT[$target]}")" --label "$target" --ops "$op" --sizes 4KiB \
        --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/$target-round$round.json" --append >/dev/null || rc=$?
      ((rc == 0)) || log "$target $op: cell flagged or failed (exit $rc); see $OUT/$target-round$round.json"
      # The machine's load when the cell ended (1-minute average), kept beside the figures.
      printf '%s %s %s %s\n' "$target" "$op" "$round" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/load.txt"
    done
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- statements per request (PostgreSQL) -------------------------------------------------------

statement_counts() { # DATABASE: calls and time per statement since the last reset, busiest first
  psql_admin -d "$1" -At -F $'\t' -c "SELECT calls, round(total_exec_time::numeric, 1), round((total_exec_time / calls * 1000)::numeric, 1), regexp_replace(left(query, 100), '\s+', ' ', 'g') FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$1') ORDER BY calls DESC, total_exec_time DESC LIMIT 60"
}
if [[ -n $STATEMENTS ]]; then
  for target in pg pair; do
    [[ " ${RUN[*]} " == *" $target "* ]] || continue
    db=bench_single; [[ $target == pair ]] && db=bench_pair
    for op in "${OP_LIST[@]}"; do
      psql_admin -d "$db" -c "SELECT pg_stat_statements_reset()" >/dev/null
      dotnet "$BENCH_DLL" run "$(connection_string "${PORT[$target]}")" --label "$target" --ops "$op" --sizes 4KiB \
        --concurrency "$CONCURRENCY" --duration 2s --warmup 0s --json "$OUT/statements-$target-$op.json" >/dev/null || true
      {
        printf '%s\t%s\n' "$target" "$op"
        jq -r '.cells[0] | "requests\t\(.operationsIncludingWarmup)"' "$OUT/statements-$target-$op.json"
        statement_counts "$db"
      } >"$OUT/statements-$target-$op.tsv"
    done
  done
fi
# --- where the time goes (--breakdown) ------------------------------------------------------------

# The server process a target's requests reach (for the pair, the first server: it sees every other
# request), and the port it listens on.
server_of() { case "$1" in sqlite|sqlite-nginx) echo sqlite ;; pair) echo pair-a ;; *) echo "$1" ;; esac; }
cell() { # TARGET OP CONCURRENCY DURATION JSON
  dotnet "$BENCH_DLL" run "$(connection_string "${PORT[$1]}")" --label "$1" --ops "$2" --sizes 4KiB \
    --concurrency "$3" --duration "$4" --warmup 0.5s --json "$5" >/dev/null || true
}
TRACED_CALLS=read,write,readv,writev,recvfrom,sendto,recvmsg,sendmsg,pread64,pwrite64,fsync,fdatasync,openat,rename,renameat,renameat2,close,unlink,unlinkat
if [[ -n $BREAKDOWN ]]; then
  command -v strace >/dev/null || die "--breakdown needs strace (apt-get install strace)"
  PG_PORT="$(cat "$PG_DIR/strongroom.port" 2>/dev/null || true)"
  if [[ -n $PG_PORT ]]; then
    # One database round trip on its own: `SELECT 1` from one client for 3 s (pgbench, over TCP
    # with the servers' TLS setting), the unit a request's round trips are counted in.
    pgbench_bin="/usr/lib/postgresql/$(cat "$PG_DIR/PG_VERSION")/bin/pgbench" # the cluster's own version, as tests/postgres.sh
    printf 'SELECT 1;\n' >"$WORK/select1.sql"
    ssl=disable; [[ $PG_SSL_MODE == verify-full ]] && ssl=require
    {
      echo "one round trip (pgbench, SELECT 1, one client, 3 s, sslmode=$ssl):"
      PGPASSWORD="$(cat "$PG_DIR/strongroom.password")" PGSSLMODE=$ssl "$pgbench_bin" -n -h 127.0.0.1 -p "$PG_PORT" -U strongroom -c 1 -T 3 -f "$WORK/select1.sql" bench_single 2>&1 \
        | grep -E 'latency average|^tps|rror' | sed 's/^/  /' || true
    } >"$OUT/breakdown-0-roundtrip.txt"
  fi
  for target in "${RUN[@]}"; do
    server="$(server_of "$target")"
    db_args=()
    [[ $target == pg || $target == pair ]] && db_args=(--db-port "$PG_PORT")
    for op in create get; do
      [[ ",$OPS," == *",$op,"* ]] || continue
      log "breakdown: $op 4KiB × 1 → $target (untraced, then the server $server under strace)"
      cell "$target" "$op" 1 3s "$OUT/breakdown-$target-$op-c1.json"
      strace -f -tt -T -yy -e trace="$TRACED_CALLS" -o "$OUT/trace-$target-$op.txt" -p "${PID[$server]}" 2>/dev/null &
      tracer=$!
      sleep 1 # attached to every thread
      cell "$target" "$op" 1 3s "$OUT/breakdown-$target-$op-c1-traced.json"
      kill -INT "$tracer" 2>/dev/null || true
      wait "$tracer" 2>/dev/null || true
      python3 "$ROOT/bench/breakdown.py" "$OUT/trace-$target-$op.txt" --port "${PORT[$server]}" "${db_args[@]}" --label "$target $op (server $server)" \
        --client-p50 "$(jq -r '.cells[0].latencyMs.p50' "$OUT/breakdown-$target-$op-c1.json" 2>/dev/null || echo 0)" \
        --client-p50-traced "$(jq -r '.cells[0].latencyMs.p50' "$OUT/breakdown-$target-$op-c1-traced.json" 2>/dev/null || echo 0)" >"$OUT/breakdown-$target-$op.txt" 2>&1 || true
      gzip -f "$OUT/trace-$target-$op.txt" || true
      # Syscalls per request at concurrency 16: how group commit and the database amortise.
      pids=("${PID[$server]}")
      [[ $target == pair ]] && pids+=("${PID[pair-b]}")
      if [[ ${#db_args[@]} -gt 0 ]]; then
        mapfile -t backends < <(ps -o pid= --ppid "$(head -n 1 "$PG_DIR/postmaster.pid")")
        pids+=("${backends[@]// /}")
      fi
      strace -c -f -e trace=fsync,fdatasync,sendto,recvfrom,pwrite64,openat,rename -o "$OUT/counts-$target-$op.txt" "${pids[@]/#/-p}" 2>/dev/null &
      tracer=$!
      sleep 1
      cell "$target" "$op" "$CONCURRENCY" 3s "$OUT/breakdown-$target-$op-c$CONCURRENCY-counted.json"
      kill -INT "$tracer" 2>/dev/null || true
      wait "$tracer" 2>/dev/null || true
      requests="$(jq -r '.cells[0].operationsIncludingWarmup' "$OUT/breakdown-$target-$op-c$CONCURRENCY-counted.json" 2>/dev/null || echo 0)"
      {
        echo "syscalls per request at concurrency $CONCURRENCY ($requests requests; server ${pids[*]:0:1}$([[ $target == pair ]] && echo ' and pair-b')$([[ ${#db_args[@]} -gt 0 ]] && echo ' and the PostgreSQL processes'))"
        awk -v n="$requests" '$NF ~ /^(fsync|fdatasync|sendto|recvfrom|pwrite64|openat|rename)$/ && n > 0 { printf "  %-10s %8.2f per request (%s calls, %s s inside)\n", $NF, $4 / n, $4, $2 }' "$OUT/counts-$target-$op.txt"
      } >>"$OUT/breakdown-$target-$op.txt"
    done
  done
fi
stop_all

# --- the table -----------------------------------------------------------------------------------

# Median over rounds of a cell field (flagged cells count as 0 ops/s and are marked).
median_of() { awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { # TARGET OP JQ_EXPRESSION
  for file in "$OUT/$1"-round*.json; do
    [[ -f $file ]] || continue
    jq -r --arg op "$2" "[.cells[] | select(.op == \$op)][0] | if . == null then empty else $3 end" "$file"
  done | sort -g | median_of
}
flagged() { # TARGET OP: how many rounds were flagged or missing
  local n=0 file
  for ((round = 0; round < ROUNDS; round++)); do
    file="$OUT/$1-round$round.json"
    if [[ ! -f $file ]] || [[ "$(jq -r --arg op "$2" '[.cells[] | select(.op == $op)][0] | if . == null then "true" else (.flagged | tostring) end' "$file")" == true ]]; then n=$((n + 1)); fi
  done
  echo "$n"
}
declare -A OPS_MEDIAN
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
describe() {
  case "$1" in
    sqlite) echo "one server, SQLite" ;;
    sqlite-nginx) echo "nginx → the SQLite server" ;;
    pg) echo "one server, PostgreSQL" ;;
    pair) echo "nginx → two servers, one PostgreSQL" ;;
  esac
}
{
  echo "## Many servers (issue 9): 4 KiB × $CONCURRENCY, median of $ROUNDS round(s) of $DURATION after $WARMUP warmup"
  echo
  echo "Machine: $(nproc) cores, $(uname -r); data on $(filesystem_of "$ROOT/bench") (the checkout's disk). Load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after."
  [[ -n $PG_SETTINGS ]] && echo "PostgreSQL: $PG_SETTINGS; client TLS: $PG_SSL_MODE${PG_EXTRA:+; Npgsql: $PG_EXTRA}."
  for log_file in "$OUT"/sqlite.log "$OUT"/pg.log "$OUT"/pair-a.log "$OUT"/pair-b.log; do
    [[ -f $log_file ]] && printf '%s: %s; ' "$(basename "$log_file" .log)" "$(grep -m1 '^Default placement:' "$log_file" | sed 's/^Default placement: *//')"
  done
  echo "(placement; all on the --dev sample topology of nine directory sites on this one disk)."
  echo "Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')."
  echo
  echo "| target | what | op | ops/s | p50 ms | p99 ms | flagged rounds | load (1 min) at cell end |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
  for target in "${TARGETS[@]}"; do
    if [[ -n ${SKIPPED[$target]:-} || -z ${PORT[$target]:-} ]]; then
      echo "| $target | $(describe "$target") | – | not run: ${SKIPPED[$target]:-not started} | | | | |"
      continue
    fi
    for op in "${OP_LIST[@]}"; do
      ops="$(field "$target" "$op" 'if .flagged then 0 else .opsPerSecond end')"
      OPS_MEDIAN[$target,$op]=$ops
      load="$(awk -v t="$target" -v o="$op" '$1 == t && $2 == o { print $4 }' "$OUT/load.txt" | sort -g | median_of)"
      printf '| %s | %s | %s | %.0f | %.2f | %.2f | %s | %.1f |\n' "$target" "$(describe "$target")" "$op" "$ops" \
        "$(field "$target" "$op" '.latencyMs.p50')" "$(field "$target" "$op" '.latencyMs.p99')" "$(flagged "$target" "$op")" "$load"
    done
  done
  echo
  header="| ratio (ops/s) |"; rule="| --- |"
  for op in "${OP_LIST[@]}"; do header+=" $op |"; rule+=" ---: |"; done
  echo "$header"; echo "$rule"
  for pair in pg/sqlite pair/pg pair/sqlite sqlite-nginx/sqlite; do
    line="| $pair |"
    for op in "${OP_LIST[@]}"; do line+=" $(ratio "${OPS_MEDIAN[${pair%/*},$op]:-0}" "${OPS_MEDIAN[${pair#*/},$op]:-0}") |"; done
    echo "$line"
  done
  echo
  echo "create: Put Blob of a new name (nothing replaced); put: each worker rewrites its own name (the old object is shredded); get: Get Blob of one of 4 blobs."
  echo "p50/p99: median over rounds of each round's percentile. A flagged cell (errors or no operation) counts as 0 ops/s."
  if [[ -n $BREAKDOWN ]]; then
    for file in "$OUT"/breakdown-*.txt; do
      [[ -f $file ]] || continue
      echo; echo '```'; cat "$file"; echo '```'
    done
  fi
  if [[ -n $STATEMENTS ]]; then
    for file in "$OUT"/statements-*.tsv; do
      [[ -f $file ]] || continue
      echo
      { read -r target op; read -r _ requests; echo "PostgreSQL statements during 2 s of $op × $CONCURRENCY on $target ($requests requests): calls, total ms, µs per call, statement"; echo; echo '```'; cat; echo '```'; } <"$file"
      # Per request: every statement, the read and write transactions, the audit statements, and
      # the time PostgreSQL spent executing them (round trips and the client's side not included).
      tail -n +3 "$file" | awk -F '\t' -v n="$(sed -n 2p "$file" | cut -f2)" '
        $4 ~ /pg_stat_statements_reset/ { next }
        { calls += $1; ms += $2 }
        $4 ~ /^BEGIN ISOLATION LEVEL REPEATABLE READ/ { reads += $1 }
        $4 ~ /pg_advisory_xact_lock/ { writes += $1; lockms += $2 }
        $4 ~ /audit_/ { audit += $1; auditms += $2 }
        END { if (n > 0) printf "Per request: %.1f statements (%.2f ms executing), %.1f read transactions, %.2f write transactions (advisory lock: %.3f ms per request), %.1f audit statements (%.2f ms).\n", calls / n, ms / n, reads / n, writes / n, lockms / n, audit / n, auditms / n }'

    done
  fi
} | tee "$OUT/table.md"
log "results in $OUT"
