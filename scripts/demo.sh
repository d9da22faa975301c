#!/usr/bin/env bash
# Installs, builds, runs the sample pipeline in local mode and starts the local dashboard detached.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_and_build

echo
echo "== sparkwing run hello (local mode, records in ${SPARKWING_HOME:-$HOME/.sparkwing})"
status=0
node packages/cli/bin/sparkwing.js run hello --dir examples/hello || status=$?
if [ "$status" -ne 0 ]; then
  echo "sparkwing run hello failed with exit code $status" >&2
  exit "$status"
fi

echo
echo "== local dashboard"
node packages/cli/bin/sparkwing.js dashboard start
echo "open http://127.0.0.1:4343 to see the run (stop it with: node packages/cli/bin/sparkwing.js dashboard kill)"
