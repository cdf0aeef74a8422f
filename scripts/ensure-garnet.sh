#!/usr/bin/env bash
# Installs Garnet (the garnet-server .NET tool, 2.2.8) into the repository's git-ignored .tools/garnet when it is
# missing; the Garnet test fixtures look for it there (or at $KV_TEST_GARNET).
# Sourced by test.sh; the first argument names the caller in messages.
ensure_garnet() {
  local caller="$1"
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local dir="$root/.tools/garnet"
  if [ -n "${KV_TEST_GARNET:-}" ] || [ -x "$dir/garnet-server" ]; then
    return 0
  fi
  echo "$caller: Garnet is missing; installing it with: dotnet tool install garnet-server --version 2.2.8 --tool-path .tools/garnet"
  if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet tool install garnet-server --version 2.2.8 --tool-path "$dir" >/dev/null; then
    echo "$caller: could not install Garnet. Install it yourself: dotnet tool install garnet-server --version 2.2.8 --tool-path .tools/garnet" >&2
    return 1
  fi
}
