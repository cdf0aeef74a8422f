#!/usr/bin/env bash
# Installs redis-server and redis-cli with apt-get when they are missing (Debian package redis-server).
# Sourced by test.sh and bench.sh; the first argument names the caller in messages.
ensure_redis_server() {
  local caller="$1"
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    return 0
  fi
  echo "$caller: redis-server is missing; installing it with apt-get (Debian package redis-server)."
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null; }; then
    echo "$caller: could not install redis-server. Install it yourself: sudo apt-get install -y redis-server" >&2
    return 1
  fi
}
