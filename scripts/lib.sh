# Shared helpers for the setup scripts: install what the repo needs on a fresh Debian machine.
PNPM_VERSION=10.34.9

pnpm_cmd() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    pnpm "$@"
  else
    npx -y "pnpm@$PNPM_VERSION" "$@"
  fi
}

# apt_ensure CMD PACKAGE: installs PACKAGE when CMD is missing (needs root, as on these machines).
apt_ensure() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ -z "${SPARKWING_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    export SPARKWING_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

install_and_build() {
  apt_ensure git git
  export npm_config_loglevel=error
  # No TTY to confirm a modules purge (e.g. when the store moved); answer yes instead of aborting.
  pnpm_cmd install --frozen-lockfile --config.confirm-modules-purge=false
  pnpm_cmd exec turbo run build --output-logs=errors-only
}
