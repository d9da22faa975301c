#!/usr/bin/env bash
# CI check that the README's Quick start works on a machine nobody has configured: clones this repository
# (its committed HEAD) into a temp dir and runs both Quick-start commands there with an empty HOME, no
# npm_config_* variables and no PATH entries under the old HOME (so nothing from ~/.npmrc, ~/.pyenv or a
# warm pnpm store helps), then stops the dashboard the demo started.
#
# `scripts/test.sh` runs with a small slice of the suite (the setup is what differs on a fresh machine;
# the whole suite already ran before this step). Each command is bounded by QUICKSTART_TIMEOUT seconds.
# Env: QUICKSTART_TIMEOUT (default 2700), QUICKSTART_TESTS (vitest filter, default the dashboard test).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TIMEOUT=${QUICKSTART_TIMEOUT:-2700}
TESTS=${QUICKSTART_TESTS:-packages/cli/src/dashboard/dashboard.test.ts}
START=$SECONDS
log() { printf '[quick-start %4ds] %s\n' "$((SECONDS - START))" "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sparkwing-quick-start.XXXXXX")
FRESH_HOME=$WORK/home
CLONE=$WORK/sparkwing
mkdir -p "$FRESH_HOME"

# PATH without entries under the caller's HOME (pyenv shims, cargo, user-level node installs).
clean_path=""
IFS=: read -r -a path_entries <<<"$PATH"
for entry in "${path_entries[@]}"; do
  case "$entry" in "$HOME" | "$HOME"/*) continue ;; esac
  clean_path=${clean_path:+$clean_path:}$entry
done

# fresh CMD...: runs CMD in the clone as a first-time user would, with a time bound.
fresh() {
  local passthrough=() name
  # Machine-level trust and proxy settings are not npm config: a fresh machine on this network has them too.
  for name in NODE_EXTRA_CA_CERTS SSL_CERT_FILE HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy LANG; do
    [ -n "${!name:-}" ] && passthrough+=("$name=${!name}")
  done
  (cd "$CLONE" && env -i "${passthrough[@]}" HOME="$FRESH_HOME" PATH="$clean_path" TMPDIR="$WORK" \
    SPARKWING_DASHBOARD_PORT=0 timeout --kill-after=30 "$TIMEOUT" "$@")
}

cleanup() {
  # The demo leaves the dashboard running by design; this check must not.
  if [ -f "$CLONE/packages/cli/bin/sparkwing.js" ]; then
    fresh node packages/cli/bin/sparkwing.js dashboard kill >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "git clone $REPO -> $CLONE"
git clone --quiet "$REPO" "$CLONE"

log "bash scripts/demo.sh (HOME=$FRESH_HOME, no npm config)"
fresh bash scripts/demo.sh

log "the demo's dashboard answers; stopping it"
status_json=$(fresh node packages/cli/bin/sparkwing.js dashboard status -o json)
echo "$status_json"
node -e 'const s = JSON.parse(process.argv[1]); if (!s.running || !s.answering) process.exit(1)' "$status_json" ||
  { log "FAILED: the dashboard started by the demo is not answering" >&2; exit 1; }
fresh node packages/cli/bin/sparkwing.js dashboard kill
if fresh node packages/cli/bin/sparkwing.js dashboard status >/dev/null; then
  log "FAILED: the dashboard is still running after dashboard kill" >&2
  exit 1
fi

log "bash scripts/test.sh $TESTS"
fresh bash scripts/test.sh "$TESTS"

log "both Quick-start commands passed from a fresh clone"
