# Sourced by scripts/testdb.sh: start_postgres, stop_postgres, env_postgres (prints export lines, nothing if down).
#
# A throwaway PostgreSQL 15 on 127.0.0.1 for tests. Everything lives in $LOCKSTEP_TESTDB_DIR/postgres:
#   data/          the cluster (owned by the server's OS user)
#   postgres.log   the server's stderr, log_statement=all (owned by the invoking user, mode 600)
#   env            port, user and password of the test superuser (mode 600)
#   tls/ca.crt     the throwaway CA that signed the server's certificate (data/server.crt), see certificates.sh
# Unix sockets go there too; they trust local connections and exist only for this script's own setup. Over TCP
# every login is SCRAM-SHA-256 (members of the role lockstep_md5 may use md5, for md5-only accounts). As root,
# initdb and postgres run as the unprivileged user lockstep-db.

pg_bin=/usr/lib/postgresql/15/bin
pg_os_user=lockstep-db
pg_user=lockstep
pg_default_port=55432

pg_dir() { echo "$LOCKSTEP_TESTDB_DIR/postgres"; }

# The prefix that runs a command as the server's OS user (postgres, initdb and pg_ctl refuse to run as root).
pg_drop_privileges() {
    if ((EUID == 0)); then
        pg_drop=(setpriv --reuid="$pg_os_user" --regid="$pg_os_user" --init-groups --)
    else
        pg_drop=()
    fi
}

# Runs a command as the server's OS user, from / (its home may be unreadable to it).
pg_as_server_user() {
    local pg_drop
    pg_drop_privileges
    (cd / && exec "${pg_drop[@]}" "$@")
}

# Creates the unprivileged OS user the server runs as when this script runs as root.
pg_ensure_os_user() {
    ((EUID == 0)) || return 0
    id -u "$pg_os_user" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_os_user"
}

# True when the server of this state directory accepts connections.
pg_is_up() {
    local dir port
    dir="$(pg_dir)"
    [[ -f "$dir/env" ]] || return 1
    port="$(sed -n 's/^port=//p' "$dir/env")"
    [[ -n "$port" ]] && "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
pg_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_free_port() {
    local port
    for ((port = pg_default_port; port < pg_default_port + 100; port++)); do
        pg_port_busy "$port" || { echo "$port"; return 0; }
    done
    echo "postgres: no free port in $pg_default_port-$((port - 1))" >&2
    return 1
}

pg_random_password() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true; }

start_postgres() {
    local dir port password pwfile pid
    dir="$(pg_dir)"
    if pg_is_up; then
        echo "postgres: already running on port $(sed -n 's/^port=//p' "$dir/env")" >&2
        return 0
    fi
    [[ -x "$pg_bin/postgres" ]] || { echo "postgres: PostgreSQL 15 is not installed at $pg_bin" >&2; return 1; }
    # A leftover directory is a server that died or was never started: stop what may remain, start afresh.
    [[ -d "$dir" ]] && stop_postgres
    pg_ensure_os_user
    mkdir -p "$dir/data"
    chmod 755 "$dir"
    chmod 700 "$dir/data"
    ((EUID == 0)) && chown "$pg_os_user:" "$dir" "$dir/data"

    port="$(pg_free_port)"
    password="$(pg_random_password)"
    (umask 077 && printf 'port=%s\nuser=%s\npassword=%s\n' "$port" "$pg_user" "$password" >"$dir/env")

    # The superuser's password goes in through initdb's --pwfile: hashed at bootstrap, never in a logged statement.
    pwfile="$dir/pwfile"
    (umask 077 && printf '%s\n' "$password" >"$pwfile")
    ((EUID == 0)) && chown "$pg_os_user:" "$pwfile"
    if ! pg_as_server_user "$pg_bin/initdb" -D "$dir/data" -U "$pg_user" --pwfile="$pwfile" -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 --no-instructions >"$dir/initdb.log" 2>&1; then
        rm -f "$pwfile"
        echo "postgres: initdb failed:" >&2
        tail -n 20 "$dir/initdb.log" >&2
        return 1
    fi
    rm -f "$pwfile"

    make_test_certificates "$dir/tls" "$dir/data/server.key" "$dir/data/server.crt" || return 1
    if ((EUID == 0)); then chown "$pg_os_user:" "$dir/data/server.key" "$dir/data/server.crt"; fi

    cat >>"$dir/data/postgresql.conf" <<EOF

# scripts/db/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
log_statement = 'all'
log_connections = on
log_line_prefix = '%m [%p] %q%u@%d '
logging_collector = off
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
    cat >"$dir/data/pg_hba.conf" <<EOF
# scripts/db/postgres.sh: socket trust for the script's own setup, SCRAM over TCP from loopback only, except
# members of lockstep_md5 (tests create it), whose md5 line also lets an md5-only account log in.
local   all   all                  trust
host    all   +lockstep_md5   127.0.0.1/32   md5
host    all   all   127.0.0.1/32   scram-sha-256
EOF

    # The log belongs to the invoking user; the server writes it through the inherited descriptor.
    (umask 077 && : >"$dir/postgres.log")
    # Detached (own session, immune to hangups) so that it outlives this script.
    local pg_drop
    pg_drop_privileges
    (cd / && exec "${pg_drop[@]}" setsid nohup "$pg_bin/postgres" -D "$dir/data") </dev/null >>"$dir/postgres.log" 2>&1 &
    pid=$!

    local deadline=$((SECONDS + 30))
    until "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 >/dev/null 2>&1; do
        if ((SECONDS >= deadline)) || { ! kill -0 "$pid" 2>/dev/null && [[ ! -f "$dir/data/postmaster.pid" ]]; }; then
            echo "postgres: the server did not accept connections on 127.0.0.1:$port within 30 s; log tail:" >&2
            tail -n 30 "$dir/postgres.log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "postgres: running on 127.0.0.1:$port (data in $dir)" >&2
}

stop_postgres() {
    local dir
    dir="$(pg_dir)"
    [[ -d "$dir" ]] || return 0
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        pg_as_server_user "$pg_bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 ||
            echo "postgres: pg_ctl stop failed (server already gone?)" >&2
    fi
    rm -rf "$dir"
    echo "postgres: stopped, data removed" >&2
}

env_postgres() {
    pg_is_up || return 0
    local dir
    dir="$(pg_dir)"
    echo "export LOCKSTEP_TEST_POSTGRES_HOST=127.0.0.1"
    echo "export LOCKSTEP_TEST_POSTGRES_PORT=$(sed -n 's/^port=//p' "$dir/env")"
    echo "export LOCKSTEP_TEST_POSTGRES_USER=$(sed -n 's/^user=//p' "$dir/env")"
    echo "export LOCKSTEP_TEST_POSTGRES_PASSWORD=$(sed -n 's/^password=//p' "$dir/env")"
    echo "export LOCKSTEP_TEST_POSTGRES_LOG=$dir/postgres.log"
    echo "export LOCKSTEP_TEST_POSTGRES_CA=$dir/tls/ca.crt"
}
