# Shared by the bench scripts: install Azurite, build, a scratch workspace, start and stop servers.
# Sourced, not run. Expects ROOT (repository root) to be set and `set -euo pipefail`.

AZURITE_VERSION="3.35.0" # last release whose engines field accepts the Node 20 on our machines (3.36+ needs ≥ 21)
DEV_ACCOUNT="devstoreaccount1"
DEV_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BENCH_DLL="$ROOT/.build/bench/Strongroom.Bench.dll"
STRONGROOM_DLL="${STRONGROOM_DLL:-$ROOT/.build/cli/strongroom.dll}"
AZURITE_BIN="$ROOT/bench/.azurite/node_modules/.bin/azurite-blob"

STARTED_PIDS=()

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

connection_string() { # PORT
  printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;' \
    "$DEV_ACCOUNT" "$DEV_KEY" "$1" "$DEV_ACCOUNT"
}

ensure_azurite() {
  local installed=""
  if [[ -f "$ROOT/bench/.azurite/node_modules/azurite/package.json" ]]; then
    installed="$(node -p "require('$ROOT/bench/.azurite/node_modules/azurite/package.json').version")"
  fi
  if [[ "$installed" != "$AZURITE_VERSION" ]]; then
    command -v npm >/dev/null || die "npm is required to install Azurite"
    log "installing azurite@$AZURITE_VERSION into bench/.azurite"
    npm install --prefix "$ROOT/bench/.azurite" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2
  fi
  [[ -x "$AZURITE_BIN" ]] || die "azurite-blob not found at $AZURITE_BIN"
}

build_bench() {
  log "building bench tool"
  mkdir -p "$ROOT/.build"
  dotnet build "$ROOT/bench/Strongroom.Bench" -c Release -o "$ROOT/.build/bench" -nologo >"$ROOT/.build/bench-build.log" 2>&1 \
    || { tail -n 40 "$ROOT/.build/bench-build.log" >&2; die "bench tool build failed"; }
}

build_strongroom() {
  if [[ -n "${STRONGROOM_SKIP_BUILD:-}" ]]; then
    log "STRONGROOM_SKIP_BUILD set: using $STRONGROOM_DLL as is"
  elif [[ -d "$ROOT/src/Strongroom.Cli" ]]; then
    log "building Strongroom CLI into .build/cli"
    mkdir -p "$ROOT/.build"
    dotnet build "$ROOT/src/Strongroom.Cli" -c Release -o "$ROOT/.build/cli" -nologo >"$ROOT/.build/cli-build.log" 2>&1 \
      || { tail -n 40 "$ROOT/.build/cli-build.log" >&2; die "Strongroom CLI build failed"; }
  fi
  [[ -f "$STRONGROOM_DLL" ]] || die "no Strongroom CLI at $STRONGROOM_DLL (src/Strongroom.Cli missing?); use --only azurite to bench Azurite alone"
}

free_port() { dotnet "$BENCH_DLL" free-port; }

# Starts a server in the background and sets LAST_PID (no command substitution: the server must be
# this shell's own child so that stop_all can reap it). The PID is the server process itself (dotnet
# host or node), so /proc/PID/status is the server's memory and killing it leaves nothing behind.
start_strongroom() { # PORT DATA_DIR LOG
  # A free management port too: a --dev server's management listener defaults to 10010, so a second
  # server side by side would fail to bind it.
  dotnet "$STRONGROOM_DLL" server --dev --data "$2" --port "$1" --management-port "$(free_port)" >"$3" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
}

# A production server (HTTPS with the certificate it generates in DATA_DIR/tls on first start, a
# sealed vault: run `strongroom init` before and `strongroom unseal` after) and its management plane.
start_strongroom_production() { # PORT MANAGEMENT_PORT DATA_DIR LOG
  dotnet "$STRONGROOM_DLL" server --data "$3" --port "$1" --management-port "$2" >"$4" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
}

start_azurite() { # PORT DATA_DIR LOG
  # Disk mode (--location), like Strongroom's disk-backed --dev; telemetry off: no traffic leaves 127.0.0.1.
  "$AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$1" --location "$2" --silent \
    --skipApiVersionCheck --loose --disableTelemetry >"$3" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
}

wait_for_port() { # NAME PID PORT LOG
  local deadline=$((SECONDS + ${BENCH_START_TIMEOUT_SECONDS:-120}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$2" 2>/dev/null; then
      tail -n 30 "$4" >&2 || true
      die "$1 (pid $2) exited before listening on 127.0.0.1:$3"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null; then
      log "$1 is listening on 127.0.0.1:$3 (pid $2)"
      return 0
    fi
    sleep 0.2
  done
  tail -n 30 "$4" >&2 || true
  die "$1 did not listen on 127.0.0.1:$3 within ${BENCH_START_TIMEOUT_SECONDS:-120}s"
}

stop_pid() { # PID: TERM, then KILL after 10 s
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  STARTED_PIDS=()
}

# Peak resident set of a live process, in KiB (VmHWM), or empty when unavailable.
# The servers a Strongroom-vs-Azurite script compares: TARGETS from its --only value (empty: both).
select_targets() { # ONLY
  case "$1" in
    "") TARGETS=(strongroom azurite) ;;
    strongroom|azurite) TARGETS=("$1") ;;
    *) die "--only takes strongroom or azurite" ;;
  esac
}

# Builds and starts every server in TARGETS on a free port with its data under $WORK and waits for
# each; fills the caller's associative arrays PORT, PID and CS (connection string).
start_targets() {
  local target
  for target in "${TARGETS[@]}"; do
    case "$target" in
      strongroom) build_strongroom ;;
      azurite) ensure_azurite ;;
    esac
  done
  for target in "${TARGETS[@]}"; do
    mkdir -p "$WORK/$target-data"
    PORT[$target]="$(free_port)"
    "start_$target" "${PORT[$target]}" "$WORK/$target-data" "$WORK/$target.log"
    PID[$target]=$LAST_PID
    wait_for_port "$target" "${PID[$target]}" "${PORT[$target]}" "$WORK/$target.log"
    CS[$target]="$(connection_string "${PORT[$target]}")"
  done
}

peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

filesystem_of() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }

# Makes WORK, a scratch directory on the checkout's disk (not /tmp, which may be tmpfs: servers are
# measured disk-backed), and arranges that on exit every started server is stopped and WORK is
# removed. A script that must save something from WORK first defines `save_results`, which runs
# after the servers stop.
open_workspace() { # NAME
  mkdir -p "${BENCH_WORK_DIR:-$ROOT/bench/.run}"
  WORK="$(mktemp -d "${BENCH_WORK_DIR:-$ROOT/bench/.run}/$1.XXXX")"
  trap close_workspace EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

close_workspace() {
  local status=$?
  trap - EXIT INT TERM
  stop_all
  if declare -F save_results >/dev/null; then save_results || true; fi
  rm -rf "$WORK"
  exit "$status"
}
