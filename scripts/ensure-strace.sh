#!/usr/bin/env bash
# Installs strace with apt-get when it is missing (Debian package strace): the Kv.Sqlite durability test counts the
# fsync calls of a child process with it. Sourced by test.sh; the first argument names the caller in messages.
ensure_strace() {
  local caller="$1"
  if command -v strace >/dev/null 2>&1; then
    return 0
  fi
  echo "$caller: strace is missing; installing it with apt-get (Debian package strace)."
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq strace >/dev/null; }; then
    echo "$caller: could not install strace. Install it yourself: sudo apt-get install -y strace" >&2
    return 1
  fi
}
