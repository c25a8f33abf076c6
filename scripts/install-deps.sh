#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages ratesim builds, tests and plots with, when any
# is missing. Needs root (or sudo) only when something must be installed.
# Extra groups for the hardening targets, only when asked for:
#   install-deps.sh fuzz      clang and libFuzzer (make fuzz)
#   install-deps.sh memcheck  valgrind (make memcheck)
set -eu
PKGS="build-essential pkg-config libsqlite3-dev libcmocka-dev libinih-dev
libxxhash-dev libcsv-dev nettle-dev gnuplot-nox sqlite3 python3 python3-simpy3
parallel"
for group in "$@"; do
  case $group in
  fuzz) PKGS="$PKGS clang libclang-rt-dev" ;;
  memcheck) PKGS="$PKGS valgrind" ;;
  *) echo "install-deps: unknown group \"$group\" (fuzz, memcheck)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
