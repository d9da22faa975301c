#!/usr/bin/env bash
# Builds every service image from its Dockerfile and runs each one until its health route answers.
#
# No Docker engine and no container registry are reachable here, so the script:
#   1. installs podman/buildah/mmdebstrap from apt when missing (root, as on the CI machines) and
#      configures them through its own containers.conf/storage.conf (runc, cgroupfs, host networking,
#      a nofile ulimit the host allows) without touching /etc/containers;
#   2. assembles a local base image `localhost/sparkwing-base:node` — a Debian bookworm minbase rootfs
#      (mmdebstrap from the apt mirror) plus this machine's Node binary, headers and npm, laid out like the
#      official node:*-bookworm-slim images — and reuses it on later runs;
#   3. builds services/<svc>/Dockerfile for controller, cache, logs, web and runner with
#      `--build-arg BASE_IMAGE=localhost/sparkwing-base:node` (the Dockerfiles default to node:24-bookworm-slim);
#   4. runs all five wired to each other on free 127.0.0.1 ports (read-only root filesystem, all capabilities
#      dropped, no-new-privileges, the image's non-root user) and polls each health route; any image that
#      does not build, does not run as non-root, or does not answer fails the script with its log.
#
# Usage: bash scripts/images/build-and-run.sh [service ...]     (default: all five)
# Env:   SPARKWING_IMAGE_TAG (default dev), SPARKWING_IMAGES_STATE (config dir, default /var/lib/sparkwing-images),
#        DEBIAN_MIRROR (default http://deb.debian.org/debian), HEALTH_TIMEOUT seconds (default 60),
#        SPARKWING_IMAGE_BUILD_JOBS (concurrent builds after the first, default 2),
#        SPARKWING_NATIVE_CFLAGS (C flags for native modules built from source, default -O0).
set -euo pipefail
shopt -s lastpipe
cd "$(dirname "$0")/../.."

ALL_SERVICES=(controller cache logs web runner)
SERVICES=("$@")
[ ${#SERVICES[@]} -eq 0 ] && SERVICES=("${ALL_SERVICES[@]}")
TAG=${SPARKWING_IMAGE_TAG:-dev}
STATE=${SPARKWING_IMAGES_STATE:-/var/lib/sparkwing-images}
BASE_IMAGE=localhost/sparkwing-base:node
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}
RUN_ID="sw-smoke-$$"
START=$SECONDS

log() { printf '[images %3ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf '[images] FAILED: %s\n' "$*" >&2; exit 1; }

for svc in "${SERVICES[@]}"; do
  [ -f "services/$svc/Dockerfile" ] || die "unknown service '$svc' (no services/$svc/Dockerfile)"
done

# --- 1. tools ---------------------------------------------------------------------------------------
apt_updated=
ensure_pkg() { # ensure_pkg COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install $*"
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
ensure_pkg podman podman runc conmon containernetworking-plugins
ensure_pkg buildah buildah
ensure_pkg runc runc
ensure_pkg mmdebstrap mmdebstrap
ensure_pkg curl curl
command -v node >/dev/null || die "node is required (its binary goes into the local base image)"

mkdir -p "$STATE"
# Fixed ulimits: podman's defaults (nofile 1048576, nproc = the host's) make runc fail with "error setting
# rlimit ... operation not permitted" on these machines; stay well under the host's hard limits.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=65536
[ "$nofile" -gt 65536 ] && nofile=65536
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] && nproc=16384
[ "$nproc" -gt 16384 ] && nproc=16384
cat >"$STATE/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$STATE/storage.conf" <<'EOF'
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"
export BUILDAH_FORMAT=docker
podman info >/dev/null 2>&1 || { podman info >&2 || true; die "podman does not work on this machine"; }

# --- 2. local base image ----------------------------------------------------------------------------
node_bin=$(readlink -f "$(command -v node)")
node_prefix=$(dirname "$(dirname "$node_bin")")
# Extra CA certificates of this machine (e.g. a TLS-inspecting egress proxy) go into the local base so
# apt and npm inside the builds trust the same roots as the host.
extra_cas=$(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort)
ca_hash=$( { [ -z "$extra_cas" ] || cat $extra_cas; } | sha256sum | cut -c1-12)
base_id="$(node --version)-bookworm-minbase-ca$ca_hash"
current=$(podman image inspect --format '{{ index .Labels "org.sparkwing.base" }}' "$BASE_IMAGE" 2>/dev/null || true)
if [ "$current" != "$base_id" ]; then
  t0=$SECONDS
  log "assembling $BASE_IMAGE ($base_id) from $DEBIAN_MIRROR and $node_bin"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mmdebstrap --quiet --variant=minbase --include=ca-certificates --mode=root --format=tar \
    --aptopt='Acquire::Retries "3"' bookworm "$work/rootfs.tar" "$DEBIAN_MIRROR" \
    || die "mmdebstrap could not assemble a Debian rootfs"
  log "debian rootfs ready ($((SECONDS - t0))s)"
  podman import --quiet "$work/rootfs.tar" localhost/sparkwing-debian:bookworm >/dev/null
  ctx="$work/ctx"
  mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/include" "$ctx/usr/local/lib/node_modules"
  cp "$node_bin" "$ctx/usr/local/bin/node"
  [ -d "$node_prefix/include/node" ] && cp -a "$node_prefix/include/node" "$ctx/usr/local/include/node"
  if [ -n "$extra_cas" ]; then
    mkdir -p "$ctx/usr/local/share/ca-certificates"
    cp $extra_cas "$ctx/usr/local/share/ca-certificates/"
  fi
  for mod in npm corepack; do
    [ -d "$node_prefix/lib/node_modules/$mod" ] && cp -a "$node_prefix/lib/node_modules/$mod" "$ctx/usr/local/lib/node_modules/"
  done
  cat >"$ctx/Containerfile" <<EOF
FROM localhost/sparkwing-debian:bookworm
COPY usr/ /usr/
RUN update-ca-certificates >/dev/null \
 && ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && { [ ! -d /usr/local/lib/node_modules/corepack ] || ln -sf ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack; } \
 && node --version && npm --version
ENV NODE_VERSION=$(node --version | tr -d v) NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.sparkwing.base="$base_id"
CMD ["node"]
EOF
  podman build --quiet --network host -t "$BASE_IMAGE" "$ctx" >/dev/null || die "could not build $BASE_IMAGE"
  rm -rf "$work"
  trap - EXIT
  log "base image ready ($((SECONDS - t0))s)"
else
  log "reusing $BASE_IMAGE ($base_id)"
fi

# --- 3. service images ------------------------------------------------------------------------------
# Build from a snapshot of the checkout (tracked and untracked-but-not-ignored files): every image then sees
# the same context, so the shared workspace stage is built once and reused by the other four builds even
# while the checkout changes underneath.
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$snap"
else
  tar --exclude=./node_modules --exclude='*/node_modules' --exclude='*/dist' --exclude=./.git -cf - . | tar -xf - -C "$snap"
fi
# Stable timestamps: only content decides whether a cached layer is reused.
find "$snap" -exec touch -h -d '2000-01-01T00:00:00Z' {} +
log "build context snapshot: $(du -sh "$snap" | cut -f1)"
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%H:%M:%S)" "$line"; done; }
build_one() { # build_one SERVICE: builds the image, records its seconds in $STATE/build-SERVICE.secs
  local svc=$1 t0=$SECONDS
  # NATIVE_CFLAGS=-O0: no prebuilt better-sqlite3 can be downloaded here, and compiling SQLite at -O3 on
  # a busy 2-core machine takes minutes; these images are only smoke-tested, never shipped.
  if ! podman build --layers --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
      --build-arg "NATIVE_CFLAGS=${SPARKWING_NATIVE_CFLAGS--O0}" \
      -f "$snap/services/$svc/Dockerfile" -t "localhost/sparkwing-$svc:$TAG" "$snap" 2>&1 | stamp >"$STATE/build-$svc.log"; then
    return 1
  fi
  echo $((SECONDS - t0)) >"$STATE/build-$svc.secs"
}
# The first build creates the shared workspace stage; the others reuse it and run two at a time (most of
# their time is tsup, pnpm deploy and layer commits, which leave the second core idle).
jobs_max=${SPARKWING_IMAGE_BUILD_JOBS:-2}
rm -f "$STATE"/build-*.secs
log "building ${SERVICES[0]} (with the shared workspace stage)"
build_one "${SERVICES[0]}" || true
pids=()
for svc in "${SERVICES[@]:1}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  log "building $svc"
  build_one "$svc" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
declare -A build_secs
for svc in "${SERVICES[@]}"; do
  if [ ! -f "$STATE/build-$svc.secs" ]; then
    tail -n 60 "$STATE/build-$svc.log" >&2
    die "image build of $svc failed (full log: $STATE/build-$svc.log)"
  fi
  build_secs[$svc]=$(cat "$STATE/build-$svc.secs")
  user=$(podman image inspect --format '{{ .Config.User }}' "localhost/sparkwing-$svc:$TAG")
  case "$user" in ''|0|0:*|root|root:*) die "$svc image runs as root (USER '$user')" ;; esac
  # The runner (pipelines) and the cache (mirrors, archives) run git; the others must not carry it.
  has_git=$(podman run --rm --network none --entrypoint sh "localhost/sparkwing-$svc:$TAG" -c 'command -v git || true')
  case $svc in
    runner|cache) [ -n "$has_git" ] || die "$svc image has no git" ;;
    *) [ -z "$has_git" ] || die "$svc image unexpectedly contains git" ;;
  esac
  size=$(podman image inspect --format '{{ .Size }}' "localhost/sparkwing-$svc:$TAG")
  log "built $svc in ${build_secs[$svc]}s (user $user, $((size / 1024 / 1024)) MiB)"
done

# --- 4. run every image and wait for its health route ------------------------------------------------
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
secret() { node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))'; }

started=()
cleanup() {
  for c in "${started[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
  rm -rf "$snap"
}
trap cleanup EXIT
# Writable directories of the containers (the root filesystem is read-only), owned by the images' user.
scratch() { local d; d="$snap/.run/$1"; mkdir -p "$d"; chown 10001:10001 "$d"; chmod 0770 "$d"; echo "$d"; }

declare -A port health
for svc in "${ALL_SERVICES[@]}"; do port[$svc]=$(free_port); done
health[controller]=/api/v1/health
health[cache]=/health
health[logs]=/api/v1/health
health[web]=/api/health
health[runner]=/healthz
admin_token=$(secret)
signing_key=$(secret)
controller_url="http://127.0.0.1:${port[controller]}"
logs_url="http://127.0.0.1:${port[logs]}"
cache_url="http://127.0.0.1:${port[cache]}"

run() { # run SERVICE [podman run args...] -- [command args...]
  local svc=$1; shift
  local name="$RUN_ID-$svc" opts=() cmd=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  cmd=("$@")
  started+=("$name")
  podman run -d --name "$name" --network host --read-only --cap-drop ALL --security-opt no-new-privileges \
    -v "$(scratch "$svc-tmp"):/tmp" "${opts[@]}" \
    "localhost/sparkwing-$svc:$TAG" "${cmd[@]}" >/dev/null || die "podman run of $svc failed"
}

for svc in "${SERVICES[@]}"; do
  p=${port[$svc]}
  case $svc in
    controller)
      run controller -v "$(scratch controller-data):/data" -e PORT="$p" -e SPARKWING_DATA_DIR=/data \
        -e SPARKWING_ADMIN_TOKEN="$admin_token" -e SPARKWING_SIGNING_KEY="$signing_key" -e SPARKWING_SECRET_KEY="$(secret)" \
        -e SPARKWING_CACHE_URL="$cache_url" -e SPARKWING_LOGS_URL="$logs_url" -e SPARKWING_DISPATCHER=none -- ;;
    cache|logs)
      run "$svc" -v "$(scratch "$svc-data"):/data" -e PORT="$p" -e SPARKWING_DATA_DIR=/data \
        -e SPARKWING_SIGNING_KEY="$signing_key" -e SPARKWING_CONTROLLER_URL="$controller_url" -- ;;
    web)
      run web -e PORT="$p" -e SPARKWING_CONTROLLER_URL="$controller_url" -e SPARKWING_LOGS_URL="$logs_url" \
        -e SPARKWING_SESSION_SECRET="$(secret)$(secret)" -e SPARKWING_WEB_TOKEN="$admin_token" -- ;;
    runner)
      run runner -v "$(scratch runner-home):/home/sparkwing" \
        -e SPARKWING_CONTROLLER_URL="$controller_url" -e SPARKWING_LOGS_URL="$logs_url" -e SPARKWING_CACHE_URL="$cache_url" \
        -e SPARKWING_RUNNER_TOKEN="$admin_token" -- runner --metrics-port "$p" ;;
  esac
done

failed=()
for svc in "${SERVICES[@]}"; do
  url="http://127.0.0.1:${port[$svc]}${health[$svc]}"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  code=000
  while [ $SECONDS -lt $deadline ]; do
    code=$(curl -s -o "$STATE/health-$svc.json" -w '%{http_code}' --max-time 3 "$url" || true)
    [ "$code" = 200 ] && break
    state=$(podman inspect --format '{{ .State.Status }}' "$RUN_ID-$svc" 2>/dev/null || echo gone)
    [ "$state" = running ] || break
    sleep 0.5
  done
  uid=$(podman exec "$RUN_ID-$svc" id -u 2>/dev/null || echo '?')
  if [ "$code" = 200 ] && [ "$uid" != 0 ]; then
    log "$svc healthy: GET ${health[$svc]} -> 200 (uid $uid) $(head -c 160 "$STATE/health-$svc.json")"
  else
    printf '\n==== %s: GET %s -> %s (uid %s); container log:\n' "$svc" "$url" "$code" "$uid" >&2
    podman logs --tail 80 "$RUN_ID-$svc" >&2 || true
    failed+=("$svc")
  fi
done

[ ${#failed[@]} -eq 0 ] || die "images that did not start healthy: ${failed[*]}"
# Keep the disk bounded on machines that run this often: drop build-cache images older than a day.
podman image prune -f --filter until=24h >/dev/null 2>&1 || true
for svc in "${SERVICES[@]}"; do printf '  %-10s build %4ss\n' "$svc" "${build_secs[$svc]}"; done
log "all ${#SERVICES[@]} images built and healthy in $((SECONDS - START))s"
