# Shared helpers for the setup scripts: install what the repo needs on a fresh Debian machine.
PNPM_VERSION=10.34.9
SETUP_START=$SECONDS
# How long apt waits for another apt/dpkg process to release its lock before giving up.
APT_LOCK_TIMEOUT=${SPARKWING_APT_LOCK_TIMEOUT:-900}

# No telemetry or update notices; no colour codes when the output is not a terminal (CI logs, pipes).
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false
if [ ! -t 1 ] && [ -z "${FORCE_COLOR:-}" ]; then export NO_COLOR=1; fi

# Native modules (better-sqlite3) fall back to a source build when no prebuilt binary can be fetched;
# node-gyp would then download Node's headers. Point it at the headers installed beside this node, as
# the Dockerfiles do, unless the caller chose a nodedir already.
if [ -z "${npm_config_nodedir:-}${NPM_CONFIG_NODEDIR:-}" ]; then
  SPARKWING_NODE_PREFIX=$(dirname "$(dirname "$(command -v node)")")
  if [ -f "$SPARKWING_NODE_PREFIX/include/node/node.h" ]; then
    export npm_config_nodedir=$SPARKWING_NODE_PREFIX
  fi
fi

say() { printf '[setup %4ds] %s\n' "$((SECONDS - SETUP_START))" "$*"; }

# phase NAME CMD...: runs one setup phase with its output in a log file; prints its progress, and on
# failure the end of that log (the real error, not just "exit code 1") before returning its status.
phase() {
  local name=$1 started=$SECONDS status=0
  shift
  : "${SETUP_LOG_DIR:=$(mktemp -d "${TMPDIR:-/tmp}/sparkwing-setup.XXXXXX")}"
  local log
  log="$SETUP_LOG_DIR/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-').log"
  say "$name ..."
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    say "$name: done in $((SECONDS - started))s"
    return 0
  fi
  say "$name: FAILED with exit code $status after $((SECONDS - started))s; last lines of $log:" >&2
  tail -n 120 "$log" | sed 's/^/  | /' >&2
  return "$status"
}

pnpm_cmd() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    pnpm "$@"
  else
    npx -y "pnpm@$PNPM_VERSION" "$@"
  fi
}

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" \
    -o Acquire::Retries=3 "$@"
}

# apt_ensure CMD PACKAGE: installs PACKAGE when CMD is missing (needs root, as on these machines),
# waiting for a busy apt lock instead of failing at once.
apt_ensure() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ -z "${SPARKWING_APT_UPDATED:-}" ]; then
    phase "apt-get update" apt_get update -q
    export SPARKWING_APT_UPDATED=1
  fi
  phase "apt-get install $pkg" apt_get install -y -q --no-install-recommends "$pkg"
}

install_and_build() {
  apt_ensure git git
  # A source build of better-sqlite3 (when no prebuilt binary is reachable) needs a compiler and python.
  apt_ensure make make
  apt_ensure g++ g++
  apt_ensure python3 python3
  if [ -n "${npm_config_nodedir:-}" ]; then
    say "native modules build against the Node headers in ${npm_config_nodedir}/include/node"
  else
    say "no Node headers beside $(command -v node); a native source build would download them"
  fi
  # No TTY to confirm a modules purge (e.g. when the store moved); answer yes instead of aborting.
  phase "install dependencies (pnpm install)" \
    pnpm_cmd install --frozen-lockfile --config.confirm-modules-purge=false --reporter=append-only
  phase "build every package (turbo run build)" \
    pnpm_cmd exec turbo run build --output-logs=errors-only
}
