#!/usr/bin/env bash
# Footprint and hot paths in one run (issue 16), against a release build on this machine:
#   1. memory: `lockstep serve` (SQLite store, strict defaults: policies and audit on, log level warning) grown over
#      HTTP to 10k, 50k and 100k secrets (CreateSecret over 8 connections, SigV4 by botocore), each size after a full
#      ListSecrets and GetSecretValue of one secret in ten; VmRSS and VmHWM from /proc/PID/status;
#   2. write latency over HTTP (one connection, each call answered once the change and its audit record are
#      durable) at 10k secrets, and in process (lockstep-benchmarks, 10k secrets: CreateSecret and PutSecretValue);
#   3. in-process GetSecretValue ops/s at 10k secrets (lockstep-benchmarks, 1 task);
#   4. the rotation figures beside their floors (lockstep-rotation-benchmarks, against the test databases when
#      `scripts/testdb.sh env` names them; skipped otherwise).
# Then one table: each figure, its target and the ratio to it. Figures are for reading, not pass/fail; on a shared
# machine they are noisy, so compare runs made together.
#   scripts/bench-footprint.sh [--sizes 10000,50000,100000] [--connections 8] [--rotations 25] [--skip-rotation]
#                              [--bin DIR]   (binaries already built elsewhere, e.g. a copy of an earlier build for A/B)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=10000,50000,100000
connections=8
rotations=25
skip_rotation=0
bin=""
while (($#)); do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --rotations) rotations="$2"; shift 2 ;;
        --skip-rotation) skip_rotation=1; shift ;;
        --bin) bin="$2"; shift 2 ;;
        *) sed -n '2,14p' "$0" >&2; exit 64 ;;
    esac
done
python3 -c 'import botocore' 2>/dev/null || python3 -m pip install -q botocore
if [[ -z "$bin" ]]; then
    scripts/install-deps.sh
    for product in lockstep lockstep-benchmarks lockstep-rotation-benchmarks; do
        swift build -c release --product "$product" >/dev/null
    done
    bin="$(swift build -c release --show-bin-path)"
fi
work="$(mktemp -d)"
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

echo "== 1-2. lockstep serve over HTTP: memory at ${sizes} secrets, write latency (${connections} connections to grow)"
port=$(free_port)
"$bin/lockstep" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --log-level warning >"$work/serve.out" 2>"$work/serve.err" &
server=$!
wait_port "$port"
key=$(grep -o 'AWS_ACCESS_KEY_ID=\S*' "$work/serve.out" | cut -d= -f2)
secret=$(grep -o 'AWS_SECRET_ACCESS_KEY=\S*' "$work/serve.out" | cut -d= -f2)
python3 Benchmarks/http/footprint.py "http://127.0.0.1:$port" "$key" "$secret" "$server" --sizes "$sizes" \
    --connections "$connections" | tee "$work/http.jsonl"
du -k "$work/data/lockstep.db" "$work/data/audit.db" | awk '{printf "{\"phase\":\"file\",\"name\":\"%s\",\"kB\":%d}\n", $2, $1}' \
    | sed "s#$work/data/##" | tee -a "$work/http.jsonl"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

echo "== 2-3. in process: lockstep-benchmarks (10,000 secrets x 5 versions)"
"$bin/lockstep-benchmarks" --secrets 10000 | tee "$work/inprocess.txt"

if ((skip_rotation)); then
    echo "== 4. rotation: skipped (--skip-rotation)" | tee "$work/rotation.txt"
else
    echo "== 4. rotation: lockstep-rotation-benchmarks (${rotations} rotations each)"
    # The test databases, when they run (scripts/testdb.sh start); the benchmark says what it skips.
    eval "$(scripts/testdb.sh env 2>/dev/null || true)"
    "$bin/lockstep-rotation-benchmarks" --rotations "$rotations" --secrets none | tee "$work/rotation.txt"
fi

echo
python3 - "$work/http.jsonl" "$work/inprocess.txt" "$work/rotation.txt" <<'PY'
import json, re, sys
http = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
inprocess = open(sys.argv[2]).read()
rotation = open(sys.argv[3]).read()
rows = []  # (figure, value, unit, target, ratio text)

def add(figure, value, unit, target=None, better="lower"):
    if value is None:
        rows.append((figure, "-", unit, "", "not measured"))
        return
    if target is None:
        rows.append((figure, f"{value:,.2f}", unit, "", ""))
        return
    ratio = value / target
    met = ratio <= 1 if better == "lower" else ratio >= 1
    rows.append((figure, f"{value:,.2f}", unit, f"{'<=' if better == 'lower' else '>='} {target:,g}",
                 f"{ratio:.2f}x of target ({'met' if met else 'missed'})"))

for entry in http:
    if entry["phase"] == "empty":
        add("serve RSS, empty store", entry["VmRSS"] / 1024, "MiB")
    if entry["phase"] == "size":
        size = entry["size"]
        target = 100 if size == 100_000 else None
        add(f"serve VmRSS at {size:,} secrets", entry["VmRSS"] / 1024, "MiB", target)
        add(f"  VmHWM (peak) at {size:,}", entry["VmHWM"] / 1024, "MiB")
        add(f"  RssAnon / RssFile at {size:,}", entry["RssAnon"] / 1024, f"/ {entry['RssFile'] / 1024:.1f} MiB")
        add(f"  ListSecrets, all {entry['listed']:,} (pages of 100)", entry["list_seconds"], "s")
        add(f"  GetSecretValue of 1 in 10 ({entry['reads']:,})", entry["reads"] / entry["read_seconds"], "req/s")
    if entry["phase"] == "create":
        add(f"  CreateSecret to {entry['size']:,} ({entry['connections']} conns)", entry["count"] / entry["seconds"], "req/s")
    if entry["phase"] == "latency":
        add(f"HTTP {entry['operation']} p50 at {entry['size']:,} (1 conn)", entry["p50_ms"], "ms")
        add(f"HTTP {entry['operation']} p99 at {entry['size']:,} (1 conn)", entry["p99_ms"], "ms", 3)
    if entry["phase"] == "file":
        add(f"  {entry['name']} on disk at the end", entry["kB"] / 1024, "MiB")

def figure(pattern, text, group=1):
    match = re.search(pattern, text, re.M)
    return float(match.group(group)) if match else None

def benchmark_row(name):
    """(ops/s, p50 us, p99 us) of a lockstep-benchmarks row."""
    match = re.search(rf"^{re.escape(name)}\s+([\d.]+)(?:\s+([\d.]+) us\s+([\d.]+) us)?", inprocess, re.M)
    return tuple(float(g) if g else None for g in match.groups()) if match else (None, None, None)

for operation in ("CreateSecret", "PutSecretValue"):
    ops, p50, p99 = benchmark_row(f"{operation} (durable, 1 task)")
    add(f"in-process {operation} (10k), 1 task", ops, "ops/s")
    add(f"  p50", p50 and p50 / 1e3, "ms")
    add(f"  p99", p99 and p99 / 1e3, "ms", 3)
ops, p50, p99 = benchmark_row("GetSecretValue (1 task)")
add("in-process GetSecretValue (10k), 1 task", ops, "ops/s", 50_000, better="higher")
add("  p50", p50, "us")
add("  p99", p99, "us")
cpu = figure(r"^  CPU per read \(process, all threads\)\s+([\d.]+) us", inprocess)
add("  CPU per read (what one idle core would do)", cpu and 1e6 / cpu, "reads/s per core", 50_000, better="higher")

engine = figure(r"engine and store alone .* median\s+([\d.]+) ms", rotation)
add("rotation: engine and store alone, median", engine, "ms", 2)
for name, transport in (("PostgreSQL", "plaintext"), ("PostgreSQL", "TLS"), ("MariaDB", "plaintext"), ("MariaDB", "TLS")):
    label = re.escape(f"{name} ({transport}")
    floor = figure(label + r"[^)]*\) floor .*median\s+([\d.]+) ms", rotation)
    full = figure(label + r"[^)]*\) full rotation .*median\s+([\d.]+) ms", rotation)
    if floor is None or full is None:
        rows.append((f"rotation: {name} ({transport})", "-", "", "", "skipped (no test database)"))
        continue
    add(f"rotation: {name} ({transport}) floor", floor, "ms")
    if name == "PostgreSQL":
        add(f"rotation: {name} ({transport}) full / floor", full / floor, "x", 1.5 if transport == "plaintext" else None)
        add(f"  full rotation", full, "ms")
    else:
        add(f"rotation: {name} ({transport}) full", full, "ms", 3 if transport == "plaintext" else None)
        add(f"  full / floor", full / floor, "x")

width = max(len(r[0]) for r in rows)
print(f"{'figure'.ljust(width)}  {'value':>12} {'unit':<18} {'target':<10} ratio")
for name, value, unit, target, ratio in rows:
    print(f"{name.ljust(width)}  {value:>12} {unit:<18} {target:<10} {ratio}")
PY
