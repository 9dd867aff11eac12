#!/usr/bin/env bash
# Installs what is missing, builds DiffScope with its tests and runs them: core, engine (LibTorch on the CPU), ui,
# and gui (OpenGL under Xvfb + Mesa, so no display is needed). The GPU-only `cuda` tests run on the GPU machine
# (scripts/gpu-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
xvfb-run -a -s "-screen 0 1600x1000x24" ctest --test-dir build -LE cuda --output-on-failure
