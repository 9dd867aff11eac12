#!/usr/bin/env bash
# The second half of CI (.ci/run): builds the core and engine tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/, no GUI, no CUDA kernels) and runs them, the fuzz harnesses' replays of their seeds and reproducers
# included; then the inference worker's tests under ThreadSanitizer (build-tsan/, the worker and its fake model only:
# diffscope_core needs no LibTorch, whose uninstrumented threads would give false reports); then fuzzes each parser for
# FUZZ_SECONDS (default 20) with libFuzzer (scripts/fuzz.sh). Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --sanitizers
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIFFSCOPE_SANITIZERS=ON -DDIFFSCOPE_GUI=OFF \
    -DDIFFSCOPE_CUDA_KERNELS=OFF
fi
cmake --build build-asan -j"$(nproc 2>/dev/null || echo 2)"
# halt_on_error: an undefined-behaviour report fails the test instead of scrolling by.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --test-dir build-asan -L 'core|engine' --output-on-failure
if [ ! -f build-tsan/CMakeCache.txt ]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIFFSCOPE_TSAN=ON -DDIFFSCOPE_GUI=OFF \
    -DDIFFSCOPE_CUDA_KERNELS=OFF
fi
cmake --build build-tsan -j"$(nproc 2>/dev/null || echo 2)" --target test_inference_worker test_inference_worker_what_if
# Several repetitions: a race shows only in some interleavings.
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan -R '^test_inference_worker(_what_if)?$' \
  --repeat until-fail:5 --output-on-failure
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
