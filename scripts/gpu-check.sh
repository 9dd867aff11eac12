#!/usr/bin/env bash
# The GPU machine's session check: builds DiffScope headless against the Python torch's LibTorch (CUDA), runs the
# core/engine/cuda tests, compares the CLI with transformers on unseen checkpoints and on the bundled pair, scores the
# bundled pair (eval-retrieval, EVAL=0 skips it), with BIG=1 1B-shaped checkpoints, with BENCH=1 benchmarks, and with
# SCAN=1 the head-effect scan's benchmark, with
# SCALE=1 the engine-at-scale benchmarks (the scan kernels alone, then the engine against HF transformers at 1K-32K
# tokens: scripts/bench_vs_hf.py; SCALE_TOKENS limits the lengths, SCALE_SCAN=0 skips the kernels' benchmark). Logs go to $OUT.
# Run through the device tool with `carry: [".devcarry"]` after scripts/device-carry.sh.
set -uo pipefail
OUT=${OUT:-/tmp/diffscope-gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" >"$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; exit 1; }
grep -E "LibTorch|DIFFSCOPE" "$OUT/configure.log"
# BUILD_TARGETS (e.g. diffscope-cli, with SKIP_TESTS=1): build only those, to save device time.
cmake --build build-gpu -j16 ${BUILD_TARGETS:+--target $BUILD_TARGETS} >"$OUT/build.log" 2>&1 || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
cli=build-gpu/app/diffscope-cli
[ "${SKIP_TESTS:-0}" = 1 ] || {
# CTEST_LABEL (e.g. cuda, with BUILD_TARGETS naming those tests' executables): only those tests.
timeout 300 ctest --test-dir build-gpu -L "${CTEST_LABEL:-core|engine|cuda}" --output-on-failure >"$OUT/ctest.log" 2>&1
tail -25 "$OUT/ctest.log"
[ "${HF:-1}" = 1 ] && { python3 scripts/check_against_hf.py --cli $cli --device cuda && python3 scripts/check_against_hf.py --cli $cli --device cpu
  python3 scripts/check_against_hf.py --cli $cli --device cuda --models assets/models/diff assets/models/standard
} 2>&1 | grep -v "Writing\|Loading" | tee "$OUT/hf_check.log"
# The bundled pair on every held-out episode (docs/bundled-models.md).
[ "${EVAL:-1}" = 1 ] && $cli eval-retrieval --device cuda --out "$OUT/eval-retrieval.md" >/dev/null 2>"$OUT/eval.err" \
  && cat "$OUT/eval-retrieval.md"
}
if [ "${SCALE:-0}" = 1 ]; then
  [ "${SCALE_SCAN:-1}" = 1 ] && { timeout 120 build-gpu/tests/engine/bench_attention_scan --runs 5 >"$OUT/bench_scan.log" 2>&1
    tail -30 "$OUT/bench_scan.log"; }
  timeout "${SCALE_TIMEOUT:-400}" python3 scripts/bench_vs_hf.py --cli $cli --out "$OUT/bench_vs_hf.md" \
    --tokens "${SCALE_TOKENS:-1024,2048,4096,8192,16384,32768}" --kinds "${SCALE_KINDS:-diffllama,llama}" --profile \
    >"$OUT/bench_vs_hf.log" 2>&1; cat "$OUT/bench_vs_hf.md" || tail -20 "$OUT/bench_vs_hf.log"
fi
# SCAN=1: the head-effect scan of every head of the 1B-shaped random DiffLlama (bench_vs_hf.py's) at SCAN_TOKENS
# (default 2048) tokens in bf16, median of 3 runs after a warm-up (issue 14's target: at most 10 s on an H200).
if [ "${SCAN:-0}" = 1 ]; then
  python3 -c "import sys; sys.path.insert(0, 'scripts'); import bench_vs_hf; bench_vs_hf.make_models('/tmp/bench-1b')" \
    2>&1 | grep -v "Writing\|Loading"
  for what in lambda0 ablate=mean; do
    timeout 300 $cli scan --model /tmp/bench-1b/diffllama --bench-tokens "${SCAN_TOKENS:-2048}" --runs 3 --device cuda \
      --dtype bf16 --what $what --out "$OUT/scan_1b_$what.csv" --png "$OUT/scan_1b_$what.png" 2>&1 | tee -a "$OUT/scan.log"
  done
fi
# BIG=1: 1B-shaped sharded bf16 checkpoints (Llama 3.2 1B's shape), peak host RSS and agreement with HF (~1 minute).
[ "${BIG:-0}" = 1 ] && python3 scripts/check_against_hf.py --cli $cli --device cuda --big /tmp/big 2>&1 \
  | grep -v "Writing\|Loading" | tee "$OUT/big.log"
[ "${BENCH:-0}" = 1 ] || exit 0
python3 scripts/check_against_hf.py --make-bench-models /tmp/bench 2>&1 | grep -v Writing
{
  echo "# diffscope-cli bench, $(date -u +%F), $(head -1 "$OUT/gpu.txt")"
  for model in diffllama llama; do
    for n in 512 2048 4096; do $cli bench --model /tmp/bench/$model --tokens $n --device cuda --runs 7; done
    $cli bench --model /tmp/bench/$model --tokens 512 --device cuda --dtype bf16 --runs 7
    $cli bench --model /tmp/bench/$model --tokens 512 --device cpu --runs 3
  done
} 2>&1 | tee "$OUT/bench.log"
