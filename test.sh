#!/usr/bin/env bash
# The one test command: builds the solution and runs every test project, on a fresh machine too.
set -euo pipefail
cd "$(dirname "$0")"

# The Redis tests start their own redis-server on a free loopback port; install it when it is missing.
source scripts/ensure-redis-server.sh
ensure_redis_server test.sh
# The Garnet tests start garnet-server from .tools/garnet; install the .NET tool there when it is missing.
source scripts/ensure-garnet.sh
ensure_garnet test.sh
# The Kv.Sqlite durability test counts a child process's fsync calls with strace; install it when it is missing.
source scripts/ensure-strace.sh
ensure_strace test.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Kv.Extensions.sln -c Release -nologo -v quiet

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Kv.Extensions.sln -c Release --no-build -nologo -v quiet 2>&1 | tee "$log" || status=$?

# One closing line over every test project, from each project's summary line
# ("Passed!  - Failed: 0, Passed: 212, Skipped: 0, Total: 212, ...").
sed -nE 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+), Total.*/\2 \1 \3/p' "$log" |
  awk '{ p += $1; f += $2; s += $3 } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
exit "$status"
