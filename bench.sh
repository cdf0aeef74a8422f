#!/usr/bin/env bash
# Runs the benchmarks (bench/Kv.Benchmarks, BenchmarkDotNet, Release) and prints their summary tables.
#
#   ./bench.sh                   the per-entry memory and SQLite file overhead tables, then every benchmark
#   ./bench.sh '<glob>' ...      only the benchmarks matching BenchmarkDotNet's --filter, e.g. '*Memory*' '*Redis*' '*Sqlite*'
#   ./bench.sh --overhead        only the per-entry memory overhead table
#   ./bench.sh --sqlite-overhead only the per-entry SQLite file overhead table
#   ./bench.sh --sqlite-paired   only the SQLite targets, baseline and Kv timed back to back in 21 rounds (a cross-check
#                                of the BenchmarkDotNet classes on a noisy machine; not part of a full run)
#   ./bench.sh --commandstats    only the commands Redis executes per Kv operation (INFO commandstats), beside raw
#
# The SQLite benchmarks write their files to a temporary folder ($TMPDIR) and delete it afterwards.
# The Redis benchmarks run against a redis-server this script starts on a free loopback port (127.0.0.1 only,
# persistence off, its own temporary directory) and stops at exit. Full BenchmarkDotNet logs and reports go to
# bench/Kv.Benchmarks/BenchmarkDotNet.Artifacts/. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")"

source scripts/ensure-redis-server.sh
ensure_redis_server bench.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Kv.Benchmarks/Kv.Benchmarks.csproj -c Release -nologo -v quiet
dll=bench/Kv.Benchmarks/bin/Release/net10.0/Kv.Benchmarks.dll
artifacts="$PWD/bench/Kv.Benchmarks/BenchmarkDotNet.Artifacts"

overhead=yes
sqlite_overhead=yes
benchmarks=yes
commandstats=no
filters=('*')
if [ "$#" -gt 0 ] && [ "$1" = "--sqlite-paired" ]; then
  echo "== SQLite targets, paired rounds"
  exec dotnet "$dll" --sqlite-paired
fi
if [ "$#" -gt 0 ]; then
  if [ "$1" = "--overhead" ]; then
    benchmarks=no
    sqlite_overhead=no
  elif [ "$1" = "--sqlite-overhead" ]; then
    benchmarks=no
    overhead=no
  elif [ "$1" = "--commandstats" ]; then
    overhead=no
    sqlite_overhead=no
    benchmarks=no
    commandstats=yes
  else
    overhead=no
    sqlite_overhead=no
    filters=("$@")
  fi
fi

if [ "$overhead" = yes ]; then
  echo "== Per-entry memory overhead"
  dotnet "$dll" --overhead
  echo
fi

if [ "$sqlite_overhead" = yes ]; then
  echo "== Per-entry SQLite file overhead"
  dotnet "$dll" --sqlite-overhead
  echo
fi

if [ "$benchmarks" = no ] && [ "$commandstats" = no ]; then
  exit 0
fi

# Our own redis-server, stopped by its PID when this script exits, however it exits.
work="$(mktemp -d)"
redis_pid=""
bench_pid=""
cleanup() {
  if [ -n "$bench_pid" ]; then
    kill "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --save "" --appendonly no \
    --dir "$work" --logfile "$work/redis.log" --daemonize no &
  redis_pid=$!
  for _ in $(seq 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break 2; fi
    if ! kill -0 "$redis_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  # Not answering (the port was taken meanwhile, or it did not start): stop it and try another port.
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
done
if [ -z "$redis_pid" ]; then
  echo "bench.sh: could not start redis-server on a loopback port:" >&2
  tail -n 20 "$work/redis.log" >&2 || true
  exit 1
fi
export KV_BENCH_REDIS="127.0.0.1:$port"
echo "== redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $KV_BENCH_REDIS (pid $redis_pid)"

if [ "$commandstats" = yes ]; then
  echo "== Commands per operation"
  dotnet "$dll" --commandstats
  exit 0
fi

rm -rf "$artifacts/results"
mkdir -p "$artifacts"
echo "== Benchmarks (filter: ${filters[*]}); full log: $artifacts/bench.log"
# In the background, so that the exit trap can stop it too; one progress line per benchmark meanwhile.
dotnet "$dll" --filter "${filters[@]}" --artifacts "$artifacts" > "$artifacts/bench.log" 2>&1 &
bench_pid=$!
tail -n +1 -f --pid="$bench_pid" "$artifacts/bench.log" | grep --line-buffered -E '^// Benchmark: ' || true
status=0
wait "$bench_pid" || status=$?
bench_pid=""
if [ "$status" != 0 ]; then
  echo "bench.sh: the benchmarks failed (exit $status); see $artifacts/bench.log" >&2
  exit "$status"
fi

echo
for report in "$artifacts"/results/*-report-github.md; do
  [ -e "$report" ] || { echo "bench.sh: no benchmark matched: ${filters[*]}" >&2; exit 1; }
  echo "== $(basename "$report" -report-github.md)"
  sed "s/&#39;//g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/\"/g; s/&amp;/\&/g" "$report"
  echo
done
