# Sourced by scripts/testdb.sh: start_mariadb, stop_mariadb, env_mariadb (prints export lines, nothing if down).
#
# One throwaway MariaDB on 127.0.0.1 with its data, socket, pid file and logs in $LOCKSTEP_TESTDB_DIR/mariadb.
# As root the server runs as the `mysql` OS user; as a normal user it runs as that user. The accounts that
# mariadb-install-db leaves without a password (root@localhost, root@127.0.0.1, root@::1, anonymous users) are
# dropped: the only login is `lockstep_admin` (all privileges, with grant option) and a random password.
# The port is $LOCKSTEP_TESTDB_MARIADB_PORT (default 53306), or the next free one. The ed25519 authentication
# plugin is loaded, so tests can use ed25519 accounts.

mariadb_state="$LOCKSTEP_TESTDB_DIR/mariadb"
mariadb_admin_user="lockstep_admin"

# Finds a MariaDB program even when /usr/sbin is not on PATH (normal users on Debian).
_mariadb_program() {
    local name="$1" dir
    command -v "$name" 2>/dev/null && return 0
    for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
        [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
    return 1
}

# Installs mariadb-server and libmariadb-dev when missing, without starting the distribution's service.
_mariadb_install() {
    _mariadb_program mariadbd >/dev/null && _mariadb_program mariadb-install-db >/dev/null &&
        _mariadb_program mariadb >/dev/null && return 0
    echo "mariadb: installing mariadb-server and libmariadb-dev" >&2
    local sudo_cmd="" policy=/usr/sbin/policy-rc.d created_policy=0
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    # invoke-rc.d and deb-systemd-invoke ask policy-rc.d; 101 means "don't start services".
    if [ ! -e "$policy" ]; then
        $sudo_cmd sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    local status=0
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client libmariadb-dev ||
        status=$?
    ((created_policy)) && $sudo_cmd rm -f "$policy"
    return "$status"
}

# Prints the pid of our server if it is running.
_mariadb_pid() {
    local pid
    [ -f "$mariadb_state/run/mariadb.pid" ] || return 1
    pid="$(cat "$mariadb_state/run/mariadb.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# True when nothing accepts connections on 127.0.0.1:$1.
_mariadb_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_mariadb_random_password() {
    head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24
}

_mariadb_fail() {
    echo "mariadb: $1" >&2
    [ -f "$mariadb_state/error.log" ] && { echo "--- error log (tail) ---" >&2; tail -n 30 "$mariadb_state/error.log" >&2; }
    return 1
}

start_mariadb() {
    if _mariadb_pid >/dev/null && [ -f "$mariadb_state/env" ]; then
        echo "mariadb: already running (pid $(_mariadb_pid))" >&2
        return 0
    fi
    stop_mariadb # a half-started or crashed server: start from scratch
    _mariadb_install || { echo "mariadb: could not install mariadb-server" >&2; return 1; }
    local mariadbd install_db client admin
    mariadbd="$(_mariadb_program mariadbd)"
    install_db="$(_mariadb_program mariadb-install-db)"
    client="$(_mariadb_program mariadb)"
    admin="$(_mariadb_program mariadb-admin)"

    local socket="$mariadb_state/run/mariadb.sock"
    ((${#socket} < 100)) || { echo "mariadb: socket path too long: $socket" >&2; return 1; }
    mkdir -p "$mariadb_state/data" "$mariadb_state/run"
    chmod 755 "$mariadb_state"
    touch "$mariadb_state/general.log" "$mariadb_state/error.log"
    chmod 644 "$mariadb_state/general.log" "$mariadb_state/error.log"

    local tls="$mariadb_state/tls"
    make_test_certificates "$tls" "$tls/server.key" "$tls/server.crt" || return 1

    local run_as=()
    if [ "$(id -u)" -eq 0 ]; then
        id mysql >/dev/null 2>&1 || { echo "mariadb: the mysql OS user is missing" >&2; return 1; }
        chown -R mysql:mysql "$mariadb_state/data" "$mariadb_state/run" "$mariadb_state/general.log" "$mariadb_state/error.log"
        chown mysql:mysql "$tls/server.key"
        run_as=(--user=mysql)
    fi

    "$install_db" --no-defaults --datadir="$mariadb_state/data" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve "${run_as[@]}" >"$mariadb_state/install.log" 2>&1 ||
        { cat "$mariadb_state/install.log" >&2; _mariadb_fail "mariadb-install-db failed"; return 1; }

    local port="${LOCKSTEP_TESTDB_MARIADB_PORT:-53306}" tries=0
    until _mariadb_port_free "$port"; do
        port=$((port + 1)) tries=$((tries + 1))
        ((tries < 100)) || { echo "mariadb: no free port near ${LOCKSTEP_TESTDB_MARIADB_PORT:-53306}" >&2; return 1; }
    done

    # setsid + nohup: the server outlives this script and its terminal.
    setsid nohup "$mariadbd" --no-defaults "${run_as[@]}" \
        --datadir="$mariadb_state/data" --socket="$socket" --pid-file="$mariadb_state/run/mariadb.pid" \
        --bind-address=127.0.0.1 --port="$port" --skip-name-resolve \
        --general-log=1 --general-log-file="$mariadb_state/general.log" --log-error="$mariadb_state/error.log" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --innodb-buffer-pool-size=64M --skip-log-bin --plugin-load-add=auth_ed25519 \
        --ssl-ca="$tls/ca.crt" --ssl-cert="$tls/server.crt" --ssl-key="$tls/server.key" \
        </dev/null >/dev/null 2>&1 &

    local waited=0
    until "$admin" --no-defaults --protocol=socket --socket="$socket" --user=root --connect-timeout=2 ping >/dev/null 2>&1; do
        ((waited < 30)) || { _mariadb_fail "the server did not answer within 30 s"; return 1; }
        sleep 1
        waited=$((waited + 1))
    done

    # Replace every account by lockstep_admin. sql_log_off keeps the password out of the general log.
    local password
    password="$(_mariadb_random_password)"
    "$client" --no-defaults --protocol=socket --socket="$socket" --user=root --batch <<SQL ||
SET SESSION sql_log_off = 1;
CREATE USER '$mariadb_admin_user'@'%' IDENTIFIED BY '$password';
CREATE USER '$mariadb_admin_user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$mariadb_admin_user'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$mariadb_admin_user'@'localhost' WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO '$mariadb_admin_user'@'%' WITH GRANT OPTION;
SET @drop = (SELECT CONCAT('DROP USER ', GROUP_CONCAT(CONCAT(QUOTE(User), '@', QUOTE(Host))))
             FROM mysql.user WHERE User <> '$mariadb_admin_user' AND User <> 'mariadb.sys' AND is_role = 'N');
EXECUTE IMMEDIATE COALESCE(@drop, 'DO 0');
DELETE FROM mysql.proxies_priv WHERE User <> '$mariadb_admin_user';
FLUSH PRIVILEGES;
SQL
        { _mariadb_fail "setting up $mariadb_admin_user failed"; return 1; }

    MYSQL_PWD="$password" "$client" --no-defaults --protocol=tcp --host=127.0.0.1 --port="$port" \
        --user="$mariadb_admin_user" --batch --skip-column-names -e "SELECT 1" >/dev/null ||
        { _mariadb_fail "$mariadb_admin_user cannot log in over TCP"; return 1; }

    (
        umask 077
        {
            echo "export LOCKSTEP_TEST_MARIADB_HOST=127.0.0.1"
            echo "export LOCKSTEP_TEST_MARIADB_PORT=$port"
            echo "export LOCKSTEP_TEST_MARIADB_USER=$mariadb_admin_user"
            echo "export LOCKSTEP_TEST_MARIADB_PASSWORD=$password"
            echo "export LOCKSTEP_TEST_MARIADB_LOG=$(printf '%q' "$mariadb_state/general.log")"
            echo "export LOCKSTEP_TEST_MARIADB_CA=$(printf '%q' "$tls/ca.crt")"
        } >"$mariadb_state/env"
    )
    echo "mariadb: running on 127.0.0.1:$port (pid $(_mariadb_pid), data in $mariadb_state)" >&2
}

stop_mariadb() {
    local pid waited=0
    if pid="$(_mariadb_pid)"; then
        kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null; do
            if ((waited >= 30)); then
                echo "mariadb: pid $pid ignored SIGTERM for 30 s; killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 1
            waited=$((waited + 1))
        done
        echo "mariadb: stopped" >&2
    fi
    rm -rf "$mariadb_state"
}

env_mariadb() {
    _mariadb_pid >/dev/null && [ -f "$mariadb_state/env" ] && cat "$mariadb_state/env"
    return 0
}
