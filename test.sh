#!/usr/bin/env bash
# The one test command: builds the solution and runs every test project, on a fresh machine too.
set -euo pipefail
cd "$(dirname "$0")"

# The Redis tests start their own redis-server on a free loopback port; install it when it is missing.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "test.sh: redis-server is missing; installing it with apt-get (Debian package redis-server)."
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null; }; then
    echo "test.sh: could not install redis-server. Install it yourself: sudo apt-get install -y redis-server" >&2
    exit 1
  fi
fi

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
