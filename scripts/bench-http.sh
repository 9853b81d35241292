#!/usr/bin/env bash
# HTTP benchmark: GetSecretValue with real SigV4 signatures at 1, 16 and 64 connections, against
#   - lockstep serve (release build, SQLite store, log level warning), with policy evaluation and the audit log on,
#   - the same with `--benchmark-without-access-control` (no policies, no audit: the comparison only),
#   - moto_server (the Python AWS emulator), and
#   - lockstep-bare-route (a Hummingbird route answering a fixed body of the same size: the framework's ceiling).
# wrk replays one pre-signed request per target. Prints requests/s and p50/p99 latency per target and connections.
#   scripts/bench-http.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-8}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v moto_server >/dev/null || python3 -m pip install -q "moto[server]"
scripts/install-deps.sh
swift build -c release --product lockstep >/dev/null
swift build -c release --product lockstep-bare-route >/dev/null
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# Lockstep
lport=$(free_port)
"$bin/lockstep" serve --listen "127.0.0.1:$lport" --data-dir "$work/data" --log-level warning >"$work/lockstep.out" 2>"$work/lockstep.err" &
pids+=($!)
wait_port "$lport"
key=$(grep -o 'AWS_ACCESS_KEY_ID=\S*' "$work/lockstep.out" | cut -d= -f2)
secret=$(grep -o 'AWS_SECRET_ACCESS_KEY=\S*' "$work/lockstep.out" | cut -d= -f2)
size=$(python3 Benchmarks/http/setup_secret.py "http://127.0.0.1:$lport" "$key" "$secret")

# Lockstep without access control and audit (same binary, its own data directory)
nport=$(free_port)
"$bin/lockstep" serve --listen "127.0.0.1:$nport" --data-dir "$work/data-open" --log-level warning --benchmark-without-access-control \
    >"$work/lockstep-open.out" 2>"$work/lockstep-open.err" &
pids+=($!)
wait_port "$nport"
nkey=$(grep -o 'AWS_ACCESS_KEY_ID=\S*' "$work/lockstep-open.out" | cut -d= -f2)
nsecret=$(grep -o 'AWS_SECRET_ACCESS_KEY=\S*' "$work/lockstep-open.out" | cut -d= -f2)
python3 Benchmarks/http/setup_secret.py "http://127.0.0.1:$nport" "$nkey" "$nsecret" >/dev/null

# moto
mport=$(free_port)
moto_server -p "$mport" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_port "$mport"
python3 Benchmarks/http/setup_secret.py "http://127.0.0.1:$mport" testing testing >/dev/null

# bare route
bport=$(free_port)
"$bin/lockstep-bare-route" "$bport" "$size" &
pids+=($!)
wait_port "$bport"

run() { # name url key secret connections
    python3 Benchmarks/http/presign.py "$2" "$3" "$4" bench/db "$work/request.lua"
    threads=$(( $5 < 2 ? 1 : 2 ))
    out=$(wrk -t "$threads" -c "$5" -d "${duration}s" --latency -s "$work/request.lua" "$2/" 2>&1)
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    printf '%-22s %5s %14s %10s %10s %8s\n' "$1" "$5" "$rps" "$p50" "$p99" "${errors:-0}"
    echo "$1 $5 $rps" >>"$work/results"
}

echo "GetSecretValue over HTTP, ${duration}s per run, wrk -t 2, response body ~${size} bytes"
printf '%-22s %5s %14s %10s %10s %8s\n' target conns requests/s p50 p99 non-200
for c in 1 16 64; do
    run lockstep "http://127.0.0.1:$lport" "$key" "$secret" "$c"
    run lockstep-no-policies "http://127.0.0.1:$nport" "$nkey" "$nsecret" "$c"
    run moto_server "http://127.0.0.1:$mport" testing testing "$c"
    run bare-hummingbird "http://127.0.0.1:$bport" "$key" "$secret" "$c"
done
echo
sleep 1
echo "audited server: $("$bin/lockstep" audit verify --data-dir "$work/data" 2>&1)"
echo "ratios (same connections):"
python3 - "$work/results" <<'PY'
import sys, collections
r = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    name, c, rps = line.split()
    r[int(c)][name] = float(rps)
for c in sorted(r):
    l, m, b, n = r[c]["lockstep"], r[c]["moto_server"], r[c]["bare-hummingbird"], r[c]["lockstep-no-policies"]
    print(f"  {c:3d} conns: lockstep / moto = {l / m:6.1f}x   lockstep / bare route = {100 * l / b:5.1f}%"
          f"   with / without policies+audit = {100 * l / n:5.1f}%")
PY
