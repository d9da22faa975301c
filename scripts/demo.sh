#!/usr/bin/env bash
# Installs, builds, runs the sample pipeline in local mode and starts the local dashboard detached.
# Env: SPARKWING_DASHBOARD_PORT (default 4343; 0 picks a free port).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_and_build

echo
say "sparkwing run hello (local mode, records in ${SPARKWING_HOME:-$HOME/.sparkwing})"
status=0
node packages/cli/bin/sparkwing.js run hello --dir examples/hello || status=$?
if [ "$status" -ne 0 ]; then
  echo "sparkwing run hello failed with exit code $status" >&2
  exit "$status"
fi

echo
say "local dashboard"
node packages/cli/bin/sparkwing.js dashboard start --port "${SPARKWING_DASHBOARD_PORT:-4343}"
url=$(node packages/cli/bin/sparkwing.js dashboard status -o json | node -e \
  'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>{console.log(JSON.parse(s).url)})')
echo "open $url to see the run (stop it with: node packages/cli/bin/sparkwing.js dashboard kill)"
