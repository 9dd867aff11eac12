#!/usr/bin/env bash
# One device call for a change to the scan kernels (issue 9): while the engine and CLI build in the background
# (build-gpu, sm_90, LibTorch of the Python torch), runs kernel binaries built on the development machine and carried
# in .bench-bin/ (test_attention_scan_cuda, bench_new = this tree's bench_attention_scan, bench_baseline = an earlier
# commit's; see docs/attention-scan.md "Measuring a kernel change"), then, with FIXTURES=1, remakes the HF family
# fixtures (tests/fixtures/hf/make_family_fixtures.py), then the engine against HF (scripts/bench_vs_hf.py at
# SCALE_TOKENS). Everything lands in $OUT/scan-check.tar.gz (the device tool brings back only a few files).
# Through the device tool, after scripts/device-carry.sh, with carry [".devcarry", ".bench-bin"] (.bench-bin is ignored
# by git, so it travels only when carried):
#   timeout 590 bash scripts/gpu-scan-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
FINAL=${OUT:-/tmp/diffscope-gpu}
L=/tmp/scan-check
mkdir -p "$L" "$FINAL"
export PYTHONUNBUFFERED=1
say() { echo "[+${SECONDS}s] $*"; }
finish() { tar czf "$FINAL/scan-check.tar.gz" -C "$L" . ; }
trap finish EXIT
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$L/gpu.txt"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
( cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" >"$L/configure.log" 2>&1 &&
  cmake --build build-gpu -j14 --target diffscope-cli >"$L/build.log" 2>&1; echo "build rc=$?" >>"$L/build.log" ) &
build=$!
B=.bench-bin
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ -x $B/test_attention_scan_cuda ]; then
  say "scan kernels against the twin"
  timeout 150 $B/test_attention_scan_cuda >"$L/test_scan_cuda.log" 2>&1; echo "rc=$?"; tail -3 "$L/test_scan_cuda.log"
fi
for bench in bench_new bench_baseline; do
  [ -x $B/$bench ] || continue
  say "$bench"
  timeout 90 $B/$bench --runs 7 --dtype bf16 --mode all 2>&1 | tee "$L/$bench.log" | grep -E "^bf16"
done
[ -x $B/bench_new ] && { say "bench_new without the Q prescale"; DIFFSCOPE_SCAN_NO_PRESCALE=1 timeout 90 \
  $B/bench_new --runs 7 --dtype bf16 --mode all 2>&1 | tee "$L/bench_new_noprescale.log" | grep -E "^bf16"; }
if [ "${FIXTURES:-0}" = 1 ]; then
  say "HF family fixtures"
  timeout 120 python3 tests/fixtures/hf/make_family_fixtures.py /tmp/famfix >"$L/make_family_fixtures.log" 2>&1
  echo "fixtures rc=$?"; grep -E ": (OK|FAIL)" "$L/make_family_fixtures.log" | cut -c1-100
  tar czf "$FINAL/family_fixtures.tar.gz" -C /tmp/famfix .
fi
say "waiting for the build"; wait $build; tail -2 "$L/build.log"
if [ -n "${SCALE_TOKENS:-}" ]; then
  say "engine against HF"
  timeout "${SCALE_TIMEOUT:-300}" python3 scripts/bench_vs_hf.py --cli build-gpu/app/diffscope-cli \
    --out "$L/bench_vs_hf.md" --tokens "$SCALE_TOKENS" --kinds "${SCALE_KINDS:-diffllama}" --profile \
    >"$L/bench_vs_hf.log" 2>&1; cat "$L/bench_vs_hf.md" 2>/dev/null || tail -20 "$L/bench_vs_hf.log"
fi
say "done"
