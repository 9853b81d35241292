#!/usr/bin/env bash
# HTTP benchmark: GetSecretValue with real SigV4 signatures at 1, 16 and 64 connections, against
#   - lockstep serve (release build, SQLite store, log level warning), with policy evaluation and the audit log on
#     (strict defaults: the audit writer's batch window is `serve --audit-batch-ms`, 25 ms),
#   - the same with `--benchmark-without-access-control` (no policies, no audit: the comparison only),
#   - moto_server (the Python AWS emulator), and
#   - lockstep-bare-route (a Hummingbird route answering a fixed body of the same size: the framework's ceiling).
# wrk replays one pre-signed request per target. Prints requests/s and p50/p99 latency per target and connections,
# the ratios at each connection count, the audit storage per audited request (audit.db's pages, WAL included, before
# and after all runs) and the CPU time per request of both lockstep servers (utime + stime from /proc/PID/stat).
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
lpid=$!
pids+=($lpid)
wait_port "$lport"
key=$(grep -o 'AWS_ACCESS_KEY_ID=\S*' "$work/lockstep.out" | cut -d= -f2)
secret=$(grep -o 'AWS_SECRET_ACCESS_KEY=\S*' "$work/lockstep.out" | cut -d= -f2)
size=$(python3 Benchmarks/http/setup_secret.py "http://127.0.0.1:$lport" "$key" "$secret")

# Lockstep without access control and audit (same binary, its own data directory)
nport=$(free_port)
"$bin/lockstep" serve --listen "127.0.0.1:$nport" --data-dir "$work/data-open" --log-level warning --benchmark-without-access-control \
    >"$work/lockstep-open.out" 2>"$work/lockstep-open.err" &
npid=$!
pids+=($npid)
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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of a process, in clock ticks
# The audit log's storage: audit.db's pages as a reader sees them (the WAL's included), without free pages.
audit_bytes() {
    python3 - "$work/data/audit.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
(pages,), (free,), (size,) = (db.execute(f"PRAGMA {p}").fetchone() for p in ("page_count", "freelist_count", "page_size"))
print((pages - free) * size)
PY
}

run() { # name url key secret connections [pid to measure CPU of]
    python3 Benchmarks/http/presign.py "$2" "$3" "$4" bench/db "$work/request.lua"
    threads=$(( $5 < 2 ? 1 : 2 ))
    local before=0
    [[ -n "${6:-}" ]] && before=$(cpu_ticks "$6")
    out=$(wrk -t "$threads" -c "$5" -d "${duration}s" --latency -s "$work/request.lua" "$2/" 2>&1)
    local cpu="-"
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    if [[ -n "${6:-}" ]]; then
        sleep 0.2  # the audit writer's last batch of this run
        cpu=$(python3 -c "print(round(($(cpu_ticks "$6") - $before) / $ticks * 1e6 / $requests, 1))")
    fi
    printf '%-22s %5s %14s %10s %10s %8s %10s\n' "$1" "$5" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu"
    echo "$1 $5 $rps $requests $cpu" >>"$work/results"
}

ticks=$(getconf CLK_TCK)
echo "GetSecretValue over HTTP, ${duration}s per run, wrk -t 2, response body ~${size} bytes"
printf '%-22s %5s %14s %10s %10s %8s %10s\n' target conns requests/s p50 p99 non-200 "CPU us/req"
audit_before=$(audit_bytes)
for c in 1 16 64; do
    run lockstep "http://127.0.0.1:$lport" "$key" "$secret" "$c" "$lpid"
    run lockstep-no-policies "http://127.0.0.1:$nport" "$nkey" "$nsecret" "$c" "$npid"
    run moto_server "http://127.0.0.1:$mport" testing testing "$c"
    run bare-hummingbird "http://127.0.0.1:$bport" "$key" "$secret" "$c"
done
echo
sleep 1
audit_after=$(audit_bytes)
echo "audited server: $("$bin/lockstep" audit verify --data-dir "$work/data" 2>&1)"
python3 - "$work/results" "$audit_before" "$audit_after" <<'PY'
import sys, collections
r = collections.defaultdict(dict)
audited_requests = 0
for line in open(sys.argv[1]):
    name, c, rps, requests, cpu = line.split()
    r[int(c)][name] = (float(rps), cpu)
    if name == "lockstep":
        audited_requests += int(requests)
print("ratios (same connections; targets at 16: audited/unaudited >= 85%, unaudited/bare >= 75%, audited/moto >= 50x):")
for c in sorted(r):
    l, n, b, m = (r[c][k][0] for k in ("lockstep", "lockstep-no-policies", "bare-hummingbird", "moto_server"))
    print(f"  {c:3d} conns: audited / unaudited = {100 * l / n:5.1f}%   unaudited / bare route = {100 * n / b:5.1f}%"
          f"   audited / moto = {l / m:6.1f}x")
print("CPU microseconds per request (utime + stime of the server process):")
for c in sorted(r):
    print(f"  {c:3d} conns: audited {r[c]['lockstep'][1]:>7}   unaudited {r[c]['lockstep-no-policies'][1]:>7}")
grown = int(sys.argv[3]) - int(sys.argv[2])
print(f"audit storage: {grown} bytes for {audited_requests} audited requests = {grown / audited_requests:.0f} bytes per request")
PY
