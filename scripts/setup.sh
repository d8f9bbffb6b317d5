#!/bin/sh
# One-time set-up behind the README's two commands: installs npm packages (onnxruntime-node without its
# download step) and, with --test, the Debian tools the test suite compares against. Idempotent and quiet when done.
set -e
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "myriad setup: installing npm packages (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ "$1" = "--test" ]; then
  need=""
  for pkg in $(cat scripts/debian-test-packages.txt 2>/dev/null | grep -v '^#'); do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
  done
  if [ -n "$need" ]; then
    echo "myriad setup: installing Debian packages for tests:$need" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >&2
  fi
fi
