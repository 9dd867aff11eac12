#!/usr/bin/env bash
# Packs an earlier commit's engine, CLI and test sources into .devbase/ (git-ignored; carry it to the GPU machine with
# .devcarry), so that scripts/gpu-cuda-tests.sh with SCALE_TOKENS builds that commit's diffscope-cli there and times it
# beside this tree's in the same call (docs/benchmarks.md asks for same-call baselines); with KERNEL_AB=1 also its
# scan kernels' benchmark (tests/engine/bench_attention_scan.cu), timed beside this tree's. Usage: device-baseline-src.sh REF
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:?usage: scripts/device-baseline-src.sh REF (a commit, branch or tag)}
rm -rf .devbase && mkdir -p .devbase
git archive --format=tar.gz -o .devbase/src.tar.gz "$ref" CMakeLists.txt engine app ui tests ":(exclude)tests/fixtures"  # fixtures: not needed to build, and the carry has a size limit
echo "$(git rev-parse --short "$ref") ($(git log -1 --format=%s "$ref" | cut -c1-60))" >.devbase/ref.txt
echo "wrote .devbase/ for $(cat .devbase/ref.txt): $(du -h .devbase/src.tar.gz | cut -f1)"
