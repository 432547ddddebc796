#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests (never the system cluster, never port 5432).
#
#   tests/postgres.sh start DIR   initialise DIR (when it holds no cluster yet) and start it; prints
#                                 the Npgsql connection string on stdout (nothing else goes there)
#   tests/postgres.sh stop DIR    stop it (nothing to do when it is not running or DIR is absent)
#
# DIR is the data directory itself, owned by the server's user (`postgres`, through runuser, when we
# are root; ourselves otherwise). The cluster listens on 127.0.0.1 only, on a free port chosen at
# start (the last one is reused when still free); the bootstrap superuser is `strongroom` with a
# generated password (scram-sha-256; kept in DIR/strongroom.password); TLS is on with a self-signed
# CA made into DIR, so a client verifies the server with
#   SSL Mode=VerifyFull;Root Certificate=DIR/ca.crt
# Binaries: Debian's /usr/lib/postgresql/<version>/bin (the newest installed, or DIR's own version).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ "$#" -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in
    /*) ;;
    *) dir="$(pwd)/$dir" ;;
esac

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_bin() {
    local version=
    if [ -f "$dir/PG_VERSION" ]; then
        version=$(cat "$dir/PG_VERSION")
    else
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
    fi
    if [ -z "$version" ] || [ ! -x "/usr/lib/postgresql/$version/bin/pg_ctl" ]; then
        echo "postgres.sh: PostgreSQL ${version:-(any version)} is not installed under /usr/lib/postgresql (apt-get install postgresql)." >&2
        exit 1
    fi
    echo "/usr/lib/postgresql/$version/bin"
}

running() {
    [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1
}

port_free() {
    ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

print_connection_string() {
    printf 'Host=127.0.0.1;Port=%s;Username=strongroom;Password=%s;Database=postgres\n' \
        "$(cat "$dir/strongroom.port")" "$(cat "$dir/strongroom.password")"
}

initialise() {
    mkdir -p "$(dirname "$dir")"
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
        echo "postgres.sh: the postgres user cannot reach $dir (a parent directory is private to root); use a directory it can traverse, e.g. one made by mktemp -d and passed itself." >&2
        exit 1
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"

    local password pwfile
    password=$(openssl rand -hex 24)
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$pwfile"
    fi
    if ! as_owner "$bin/initdb" -D "$dir" --username=strongroom --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1; then
        rm -f "$pwfile"
        cat "$dir.initdb.log" >&2
        echo "postgres.sh: initdb failed for $dir." >&2
        exit 1
    fi
    rm -f "$pwfile" "$dir.initdb.log"
    as_owner sh -c "umask 077; printf '%s' '$password' > '$dir/strongroom.password'"

    # TLS: a throwaway CA (its key deleted once the server certificate is signed) and a server
    # certificate for the address clients dial, so VerifyFull (chain + host name) passes.
    local tmp
    tmp=$(mktemp -d)
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Strongroom test CA" \
        -keyout "$tmp/ca.key" -out "$tmp/ca.crt" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tmp/server.key" -out "$tmp/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tmp/server.ext"
    openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
        -days 3650 -extfile "$tmp/server.ext" -out "$tmp/server.crt" >/dev/null 2>&1
    install -m 644 "$tmp/ca.crt" "$dir/ca.crt"
    install -m 644 "$tmp/server.crt" "$dir/server.crt"
    install -m 600 "$tmp/server.key" "$dir/server.key"
    rm -rf "$tmp"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir/ca.crt" "$dir/server.crt" "$dir/server.key"
    fi

    # Loopback only, password (SCRAM) for everyone, over TCP with or without TLS, and on the
    # private Unix socket inside DIR (nothing in /var/run).
    as_owner sh -c "cat > '$dir/pg_hba.conf'" <<'EOF'
# tests/postgres.sh: loopback only, SCRAM passwords.
local   all all                scram-sha-256
hostssl all all 127.0.0.1/32   scram-sha-256
host    all all 127.0.0.1/32   scram-sha-256
EOF
    as_owner sh -c "cat >> '$dir/postgresql.conf'" <<EOF

# tests/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
include_if_exists = 'strongroom.port.conf'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_ca_file = 'ca.crt'
password_encryption = 'scram-sha-256'
max_connections = 300
# A TEST cluster only: durability traded for speed (a crash loses recent commits, and may corrupt
# the cluster). Never copy these three settings to a real deployment.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
    if [ ! -f "$dir/PG_VERSION" ]; then
        initialise
    fi
    if running; then
        print_connection_string
        return
    fi

    local port= attempt
    if [ -f "$dir/strongroom.port" ]; then
        port=$(cat "$dir/strongroom.port")
    fi
    for attempt in 1 2 3 4 5 6 7 8; do
        if [ -z "$port" ] || ! port_free "$port"; then
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
            port_free "$port" || { port=; continue; }
        fi
        as_owner sh -c "printf 'port = %s\n' '$port' > '$dir/strongroom.port.conf'; printf '%s' '$port' > '$dir/strongroom.port'"
        # -w waits until the server accepts connections (or fails); a port taken between the check
        # above and the bind makes the start fail, and another port is tried.
        if as_owner "$bin/pg_ctl" start -w -t 60 -D "$dir" -l "$dir/server.log" >/dev/null; then
            print_connection_string
            return
        fi
        port=
    done
    tail -n 20 "$dir/server.log" >&2 || true
    echo "postgres.sh: the cluster in $dir did not start." >&2
    exit 1
}

stop() {
    if [ ! -f "$dir/PG_VERSION" ]; then
        return
    fi
    if running; then
        as_owner "$bin/pg_ctl" stop -w -t 60 -m fast -D "$dir" >/dev/null
    fi
}

case "$action" in
    start)
        bin=$(find_bin)
        start
        ;;
    stop)
        if [ -f "$dir/PG_VERSION" ]; then
            bin=$(find_bin)
        fi
        stop
        ;;
    *) usage ;;
esac
