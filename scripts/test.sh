#!/usr/bin/env bash
# Sets up a fresh machine (system packages, dependencies, build) and runs the whole test suite once.
# Arguments, if any, go to vitest (e.g. a test file) to run part of the suite after the same setup.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# The suite drives real Chromium (dashboard) and real Prometheus/promtool (observability checks).
apt_ensure chromium chromium
apt_ensure promtool prometheus
# Container builds (docker-builds.test.ts): podman serves the Docker API, docker-registry is the registry,
# runc runs RUN steps, busybox-static stands in for a base image.
apt_ensure podman podman
apt_ensure runc runc
apt_ensure docker docker.io
apt_ensure docker-registry docker-registry
apt_ensure busybox busybox-static
install_and_build
phase "lint (biome ci)" pnpm_cmd exec biome ci . --reporter=summary
mkdir -p test-artifacts
say "test suite (vitest run $*)"
status=0
pnpm_cmd exec vitest run "$@" || status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json
exit "$status"
