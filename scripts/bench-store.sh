#!/usr/bin/env bash
# Store benchmark: GetSecretValue over HTTP with real SigV4 signatures, strict defaults (policies and the audit log
# on), release build, log level warning, against
#   - one node on the embedded SQLite store,
#   - one node on a PostgreSQL store,
#   - two nodes on that PostgreSQL store at once (the connections split between them; requests/s is their sum).
# Every node, wrk and PostgreSQL share this machine's cores: two nodes measure the cost of coordination through the
# database, not a second machine's capacity. Prints requests/s and p50/p99 per target and connections, and the
# ratios (target: one PostgreSQL node >= 50% of one SQLite node).
#
# PostgreSQL: the server of scripts/testdb.sh when LOCKSTEP_TEST_POSTGRES_* are set (eval "$(scripts/testdb.sh env)"),
# else one started here and stopped at the end. The store is a database of its own with the statement log off.
#   scripts/bench-store.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-8}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
scripts/install-deps.sh
swift build -c release --product lockstep >/dev/null 2>&1
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d)"
pids=()
started_testdb=""
database="lockstep_bench_$$"
psql_admin() {
    PGPASSWORD="$LOCKSTEP_TEST_POSTGRES_PASSWORD" psql -h "$LOCKSTEP_TEST_POSTGRES_HOST" -p "$LOCKSTEP_TEST_POSTGRES_PORT" \
        -U "$LOCKSTEP_TEST_POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
}
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n "${LOCKSTEP_TEST_POSTGRES_HOST:-}" ]] && psql_admin "DROP DATABASE IF EXISTS $database WITH (FORCE)" 2>/dev/null || true
    [[ -n "$started_testdb" ]] && LOCKSTEP_TESTDB_DIR="$work/testdb" scripts/testdb.sh stop postgres >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${LOCKSTEP_TEST_POSTGRES_HOST:-}" ]]; then
    LOCKSTEP_TESTDB_DIR="$work/testdb" scripts/testdb.sh start postgres >/dev/null
    started_testdb=1
    eval "$(LOCKSTEP_TESTDB_DIR="$work/testdb" scripts/testdb.sh env)"
fi
psql_admin "CREATE DATABASE $database"
psql_admin "ALTER DATABASE $database SET log_statement = 'none'"
store="$(python3 -c 'import sys, urllib.parse as u; q = lambda s: u.quote(s, safe=""); print("postgresql://%s:%s@%s:%s/%s?sslmode=disable" % (q(sys.argv[1]), q(sys.argv[2]), *sys.argv[3:6]))' \
    "$LOCKSTEP_TEST_POSTGRES_USER" "$LOCKSTEP_TEST_POSTGRES_PASSWORD" "$LOCKSTEP_TEST_POSTGRES_HOST" "$LOCKSTEP_TEST_POSTGRES_PORT" "$database")"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# start NAME ARGS...: a node on a free port; sets $url
start() {
    local name="$1" port
    shift
    port=$(free_port)
    "$bin/lockstep" serve --listen "127.0.0.1:$port" --data-dir "$work/$name" --log-level warning "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    wait_port "$port" || { echo "$name did not start:"; cat "$work/$name.err"; exit 1; }
    url="http://127.0.0.1:$port"
}
key_of() { grep -o "$2=\S*" "$work/$1.out" | cut -d= -f2; }

start sqlite
sqlite_url=$url
python3 Benchmarks/http/setup_secret.py "$sqlite_url" "$(key_of sqlite AWS_ACCESS_KEY_ID)" "$(key_of sqlite AWS_SECRET_ACCESS_KEY)" >/dev/null
LOCKSTEP_STORE="$store" start pg-a --node-name node-a
pg_a_url=$url
pg_key=$(key_of pg-a AWS_ACCESS_KEY_ID)
pg_secret=$(key_of pg-a AWS_SECRET_ACCESS_KEY)
LOCKSTEP_STORE="$store" LOCKSTEP_ROOT_KEY="$(cat "$work/pg-a/root.key")" start pg-b --node-name node-b
pg_b_url=$url
python3 Benchmarks/http/setup_secret.py "$pg_a_url" "$pg_key" "$pg_secret" >/dev/null

# wrk_run URL KEY SECRET CONNECTIONS OUT: one wrk replaying a pre-signed request for that node (SigV4 signs the host)
wrk_run() {
    local script="$work/request-$RANDOM.lua"
    python3 Benchmarks/http/presign.py "$1" "$2" "$3" bench/db "$script"
    wrk -t "$(( $4 < 2 ? 1 : 2 ))" -c "$4" -d "${duration}s" --latency -s "$script" "$1/" >"$5" 2>&1
}
figure() { awk -v f="$2" '$1=="Requests/sec:" && f=="rps" {print $2} $1=="50%" && f=="p50" {print $2} $1=="99%" && f=="p99" {print $2}' "$1"; }
errors() { awk '/Non-2xx/ {n = $5} END {print n + 0}' "$1"; }
row() { # name connections rps p50 p99 errors
    printf '%-24s %5s %12s %10s %10s %8s\n' "$@"
    echo "$1 $2 $3" >>"$work/results"
}

echo "GetSecretValue over HTTP, strict defaults (policies + audit), ${duration}s per run"
printf '%-24s %5s %12s %10s %10s %8s\n' target conns requests/s p50 p99 non-200
for c in 1 16 64; do
    wrk_run "$sqlite_url" "$(key_of sqlite AWS_ACCESS_KEY_ID)" "$(key_of sqlite AWS_SECRET_ACCESS_KEY)" "$c" "$work/out"
    row sqlite-1-node "$c" "$(figure "$work/out" rps)" "$(figure "$work/out" p50)" "$(figure "$work/out" p99)" "$(errors "$work/out")"
    wrk_run "$pg_a_url" "$pg_key" "$pg_secret" "$c" "$work/out"
    row postgres-1-node "$c" "$(figure "$work/out" rps)" "$(figure "$work/out" p50)" "$(figure "$work/out" p99)" "$(errors "$work/out")"
    if ((c > 1)); then
        wrk_run "$pg_a_url" "$pg_key" "$pg_secret" "$((c / 2))" "$work/out-a" &
        first=$!
        wrk_run "$pg_b_url" "$pg_key" "$pg_secret" "$((c / 2))" "$work/out-b"
        wait "$first"
        total=$(python3 -c "print(round($(figure "$work/out-a" rps) + $(figure "$work/out-b" rps), 2))")
        failed=$(( $(errors "$work/out-a") + $(errors "$work/out-b") ))
        row postgres-2-nodes "$c" "$total" "$(figure "$work/out-a" p50)/$(figure "$work/out-b" p50)" \
            "$(figure "$work/out-a" p99)/$(figure "$work/out-b" p99)" "$failed"
    fi
done
echo
echo "audit, PostgreSQL store: $(LOCKSTEP_STORE="$store" LOCKSTEP_ROOT_KEY="$(cat "$work/pg-a/root.key")" "$bin/lockstep" audit verify --data-dir "$work/pg-a" 2>&1)"
python3 - "$work/results" <<'PY'
import collections, sys
r = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    name, c, rps = line.split()
    r[int(c)][name] = float(rps)
print("ratios (same connections; target: one PostgreSQL node >= 50% of one SQLite node):")
for c in sorted(r):
    s, p = r[c]["sqlite-1-node"], r[c]["postgres-1-node"]
    two = f"   two PostgreSQL nodes / one = {100 * r[c]['postgres-2-nodes'] / p:5.1f}%" if "postgres-2-nodes" in r[c] else ""
    print(f"  {c:3d} conns: one PostgreSQL node / one SQLite node = {100 * p / s:5.1f}%{two}")
PY
