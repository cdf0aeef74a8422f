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

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Kv.Extensions.sln -c Release --no-build -nologo -v quiet \
  --logger "trx" --results-directory "$results" || status=$?

# One closing line over every test project, from the TRX reports.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
