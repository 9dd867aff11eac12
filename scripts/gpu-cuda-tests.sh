#!/usr/bin/env bash
# The GPU machine's short check, for a session with little device time: builds only the executables of the `cuda`
# tests (and diffscope-cli) against the Python torch's LibTorch, runs the scan kernels' sliding-window cases first,
# then every `cuda` test, then HF transformers against the CLI on the sliding-window kinds. Each step is bounded by
# what is left of BUDGET seconds (default 280) and logs to $OUT.
# Through the device tool, after scripts/device-carry.sh, with carry [".devcarry"]:
#   timeout 590 bash scripts/gpu-cuda-tests.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/diffscope-gpu}
BUDGET=${BUDGET:-280}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
left() { echo $((BUDGET - SECONDS)); }
say() { echo "[+${SECONDS}s] $*"; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" >"$OUT/configure.log" 2>&1 \
  || { tail -40 "$OUT/configure.log"; exit 1; }
# The cuda tests' executables (a test named X_cuda runs X; test_attention_scan_cuda is its own), from ctest itself.
targets="diffscope-cli $(ctest --test-dir build-gpu -N -L cuda | sed -n 's/.*Test *#[0-9]*: *\([a-z_0-9]*\).*/\1/p' \
  | sed 's/_cuda$//; s/^test_attention_scan$/test_attention_scan_cuda/' | tr '\n' ' ')"
echo "targets: $targets"
say "build"
timeout "$(left)" cmake --build build-gpu -j16 --target $targets >"$OUT/build.log" 2>&1 \
  || { grep -E "error|Error" "$OUT/build.log" | head -40; tail -5 "$OUT/build.log"; exit 1; }
if [ "${SCAN_FIRST:-1}" = 1 ]; then
  say "scan kernels: sliding-window and soft-capped cases"
  timeout "$(left)" build-gpu/tests/engine/test_attention_scan_cuda "[window],[softcap]" >"$OUT/scan_window.log" 2>&1
  echo "rc=$?"; tail -4 "$OUT/scan_window.log"
fi
say "ctest -L cuda"
timeout "$(left)" ctest --test-dir build-gpu -L cuda --output-on-failure >"$OUT/ctest.log" 2>&1
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
    >"$OUT/bench_vs_hf.log" 2>&1; cat "$OUT/bench_vs_hf.md" 2>/dev/null || tail -20 "$OUT/bench_vs_hf.log"
fi
say "done"
