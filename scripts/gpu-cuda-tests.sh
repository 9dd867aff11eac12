#!/usr/bin/env bash
# The GPU machine's short check, for a session with little device time: builds only the executables of the `cuda`
# tests (and diffscope-cli) against the Python torch's LibTorch, runs the scan kernels' sliding-window cases first,
# then every `cuda` test, then HF transformers against the CLI on the sliding-window kinds. Each step is bounded by
# what is left of BUDGET seconds (default 280); the logs come back in $OUT/gpu-cuda-tests.tar.gz.
# Through the device tool, after scripts/device-carry.sh, with carry [".devcarry"] (and ".bench-bin" for KERNEL_AB):
#   timeout 590 bash scripts/gpu-cuda-tests.sh
# Options (environment): SCAN_FIRST=0 skips the first step; CTEST_EXCLUDE a regex of cuda tests to leave out;
# HF_CUDA_KINDS the check_against_hf.py kinds on CUDA; KERNEL_AB=1 times this tree's scan kernels against every
# .bench-bin/bench_* and, with .devbase (below), that commit's (docs/attention-scan.md "Measuring a kernel change");
# KERNEL_AB_ROUNDS (default 2) times them in turn that many times; FAMFIX=1 (FAMFIX_ARGS) remakes the
# HF family fixtures; HF_CPU_KINDS kinds checked on the CPU; SCALE_TOKENS runs scripts/bench_vs_hf.py at those lengths
# (SCALE_KINDS, and BASELINE_ENV=VAR=VALUE for a same-call baseline of the engine; or an earlier commit's engine:
# scripts/device-baseline-src.sh REF writes .devbase/, carried with .devcarry, and its CLI is built here and timed).
set -uo pipefail
cd "$(dirname "$0")/.."
FINAL=${OUT:-/tmp/diffscope-gpu}
OUT=/tmp/gpu-cuda-tests  # every log lands here and comes back as one $FINAL/gpu-cuda-tests.tar.gz (the device tool
BUDGET=${BUDGET:-280}    # brings back only a few files)
mkdir -p "$OUT" "$FINAL"
trap 'tar czf "$FINAL/gpu-cuda-tests.tar.gz" -C "$OUT" .' EXIT
export PYTHONUNBUFFERED=1
left() { echo $((BUDGET - SECONDS)); }
say() { echo "[+${SECONDS}s] $*"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; uname -r; } | tee "$OUT/gpu.txt"  # uname: the VM's kernel (Firecracker or gVisor)
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# A call that only runs tests splits nvcc's optimization over every core (engine/cuda/CMakeLists.txt: the kernels
# then differ slightly, so never where something is measured).
split=OFF
[ -z "${SCALE_TOKENS:-}" ] && [ "${KERNEL_AB:-0}" != 1 ] && split=ON
cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=ON \
  -DDIFFSCOPE_CUDA_SPLIT_COMPILE=$split \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" >"$OUT/configure.log" 2>&1 \
  || { tail -40 "$OUT/configure.log"; exit 1; }
# The cuda tests' executables (a test named X_cuda or X_layer_flush_cuda runs X, except the CUDA-runtime-only tests
# of the kernels, which are their own executables), from ctest itself; with KERNEL_AB=1 also the scan benchmark.
targets="diffscope-cli $(ctest --test-dir build-gpu -N -L cuda | sed -n 's/.*Test *#[0-9]*: *\([a-z_0-9]*\).*/\1/p' \
  | sed 's/_cuda$//; s/_layer_flush$//; s/^test_attention_scan$/test_attention_scan_cuda/; s/^test_magnitude_order$/test_magnitude_order_cuda/' \
  | sort -u | tr '\n' ' ')"
[ "${KERNEL_AB:-0}" = 1 ] && targets="$targets bench_attention_scan"
echo "targets: $targets"
say "build"
timeout "$(left)" cmake --build build-gpu -j16 --target $targets >"$OUT/build.log" 2>&1 \
  || { grep -E "error|Error" "$OUT/build.log" | head -40; tail -5 "$OUT/build.log"; exit 1; }
# The build is most of a short call's time (~275 s on a fresh machine): its slowest steps, from ninja's log
# (start and end in ms), say where a faster build would have to start.
[ -f build-gpu/.ninja_log ] && awk -F'\t' 'NR > 1 {printf "%7.1f s  %s\n", ($2 - $1) / 1000, $4}' build-gpu/.ninja_log \
  | sort -rn | head -12 | tee "$OUT/build-slowest.txt"
baseline_cli=""
if [ -f .devbase/src.tar.gz ] && [ -n "${SCALE_TOKENS:-}" ]; then  # an earlier commit's CLI, for a same-call baseline
  say "baseline build ($(cat .devbase/ref.txt))"
  rm -rf /tmp/base-src && mkdir -p /tmp/base-src && tar xzf .devbase/src.tar.gz -C /tmp/base-src
  base_targets=diffscope-cli base_tests=OFF
  if [ "${KERNEL_AB:-0}" = 1 ] && [ -f /tmp/base-src/tests/engine/bench_attention_scan.cu ]; then
    base_targets="diffscope-cli bench_attention_scan" base_tests=ON
  fi
  cmake -S /tmp/base-src -B /tmp/base-build -G Ninja -DDIFFSCOPE_GUI=OFF -DDIFFSCOPE_TESTS=$base_tests \
    -DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" >"$OUT/base-configure.log" 2>&1 \
    && timeout "$(left)" cmake --build /tmp/base-build -j16 --target $base_targets >"$OUT/base-build.log" 2>&1 \
    && baseline_cli=/tmp/base-build/app/diffscope-cli || { echo "baseline build failed"; tail -12 "$OUT/base-configure.log" "$OUT/base-build.log" 2>/dev/null; }
fi
if [ "${SCAN_FIRST:-1}" = 1 ]; then
  say "scan kernels: sliding-window and soft-capped cases"
  timeout "$(left)" build-gpu/tests/engine/test_attention_scan_cuda "[window],[softcap]" >"$OUT/scan_window.log" 2>&1
  echo "rc=$?"; tail -4 "$OUT/scan_window.log"
fi
if [ "${KERNEL_AB:-0}" = 1 ]; then  # the scan kernels of this tree against earlier commits' (.devbase, .bench-bin)
  export LD_LIBRARY_PATH=/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  benches="build-gpu/tests/engine/bench_attention_scan $(ls /tmp/base-build/tests/engine/bench_attention_scan .bench-bin/bench_* 2>/dev/null)"
  for round in $(seq "${KERNEL_AB_ROUNDS:-2}"); do
  for bench in $benches; do
    [ -x $bench ] || { echo "no $bench"; continue; }
    say "$bench (round $round)"
    timeout "$(left)" $bench --runs 7 --dtype bf16 --mode ${KERNEL_AB_MODE:-all} 2>&1 \
      | tee "$OUT/$(echo "$bench" | tr / _)-$round.log" \
      | grep -E "^bf16"
  done
  done
fi
say "ctest -L cuda"
timeout "$(left)" ctest --test-dir build-gpu -L cuda ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"} --output-on-failure >"$OUT/ctest.log" 2>&1
tail -22 "$OUT/ctest.log"
HF_CUDA_KINDS=${HF_CUDA_KINDS:-mistral_window,qwen2_window,qwen3_window,phi3_window,gemma3_window}
say "HF on $HF_CUDA_KINDS (cuda)"
timeout "$(left)" python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cuda \
  --kinds "$HF_CUDA_KINDS" 2>&1 | grep -v "Writing\|Loading" | tee "$OUT/hf_window.log" | tail -20
if [ "${FAMFIX:-0}" = 1 ]; then  # the HF-made family fixtures (tests/fixtures/hf), tarred back under $OUT
  say "family fixtures"
  rm -rf /tmp/famfix && timeout "$(left)" python3 tests/fixtures/hf/make_family_fixtures.py /tmp/famfix ${FAMFIX_ARGS:-} >"$OUT/famfix.log" 2>&1
  echo "rc=$?"; tail -3 "$OUT/famfix.log"; tar -C /tmp -czf "$OUT/famfix.tgz" famfix
fi
if [ -n "${HF_CPU_KINDS:-}" ]; then
  say "HF on $HF_CPU_KINDS (cpu)"
  timeout "$(left)" python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cpu \
    --kinds "$HF_CPU_KINDS" 2>&1 | grep -v "Writing\|Loading" | tee "$OUT/hf_cpu.log" | tail -20
fi
if [ -n "${SCALE_TOKENS:-}" ]; then  # the engine against HF (docs/benchmarks.md), with a same-call baseline
  say "engine against HF at $SCALE_TOKENS"
  timeout "$(left)" python3 scripts/bench_vs_hf.py --cli build-gpu/app/diffscope-cli --out "$OUT/bench_vs_hf.md" \
    --tokens "$SCALE_TOKENS" --kinds "${SCALE_KINDS:-diffllama}" --profile ${BASELINE_ENV:+--baseline-env "$BASELINE_ENV"} \
    ${baseline_cli:+--baseline-cli "$baseline_cli" --baseline-label "$(cat .devbase/ref.txt)"} \
    >"$OUT/bench_vs_hf.log" 2>&1; cat "$OUT/bench_vs_hf.md" 2>/dev/null || tail -20 "$OUT/bench_vs_hf.log"
fi
say "done"
