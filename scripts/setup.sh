#!/usr/bin/env bash
# Installs what the project needs on a fresh clone: npm packages from the lock file and, with --system, the
# Debian packages the tests drive (Chromium for the Playground test, redis-server for the replica test, a
# Japanese font so that screenshots of cards show Japanese names, LibreOffice Calc for the CSV injection test).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--system" ]; then
  need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -d /usr/share/fonts/opentype/ipafont-gothic ] || need+=(fonts-ipafont-gothic)
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: please install these Debian packages as root: ${need[*]}" >&2
      exit 1
    fi
    echo "setup: installing ${need[*]} (Debian packages)…" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages from package-lock.json (the first time builds sqlite3, ~2 min)…" >&2
  npm ci --no-audit --no-fund
fi
