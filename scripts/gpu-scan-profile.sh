#!/usr/bin/env bash
# Profiles the attention scan's CUDA kernels on the GPU machine (issue 9): the benchmark at 1K-32K (bf16, Diff V1 and
# standard), then Nsight Compute on one launch of each pass at T (default 8192) with the sections that say what binds
# (instruction mix, warp stalls, pipes), the per-instruction SASS source page, and the kernels' SASS. Builds only
# bench_attention_scan (sm_90) in build-gpu. Logs to $OUT. Through the device tool, after scripts/device-carry.sh,
# with carry [".devcarry"]:
#   timeout 590 bash scripts/gpu-scan-profile.sh
set -uo pipefail
cd "$(dirname "$0")/.."
FINAL=${OUT:-/tmp/diffscope-gpu}   # gets one tarball (the device tool brings back few files)
OUT=/tmp/scan-profile
T=${T:-8192}
BUDGET=${BUDGET:-400}
mkdir -p "$OUT" "$FINAL"
left() { echo $((BUDGET - SECONDS)); }
say() { echo "[+${SECONDS}s] $*"; }
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
[ -f build-gpu/build.ninja ] || cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release \
  -DDIFFSCOPE_CUDA_KERNELS=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" \
  >"$OUT/configure-profile.log" 2>&1
say "build bench_attention_scan"
timeout "$(left)" cmake --build build-gpu -j16 --target bench_attention_scan >"$OUT/build-profile.log" 2>&1 \
  || { grep -E "error" "$OUT/build-profile.log" | head -20; exit 1; }
B=build-gpu/tests/engine/bench_attention_scan
say "benchmark"
timeout "$(left)" $B --runs 7 --dtype bf16 --mode ${MODE:-all} ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench_scan.log"
command -v cuobjdump >/dev/null && cuobjdump -sass $B | gzip > "$OUT/scan.sass.gz"
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
if [ -n "$NCU" ] && [ "${NCU_RUN:-1}" = 1 ]; then
  for kernel in scan_rows_kernel scan_pairs_kernel; do
    say "ncu $kernel at T=$T"
    timeout "$(left)" "$NCU" --clock-control none -k "regex:$kernel" --launch-skip 2 -c 1 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section InstructionStats --section WarpStateStats \
      --section SchedulerStats --section Occupancy --section LaunchStats --section MemoryWorkloadAnalysis \
      --section SourceCounters --import-source no -o "$OUT/$kernel" \
      $B --min-t "$T" --max-t "$T" --runs 5 --dtype bf16 --mode diff >"$OUT/ncu_$kernel.run.log" 2>&1
    "$NCU" --import "$OUT/$kernel.ncu-rep" --page details > "$OUT/ncu_$kernel.txt" 2>&1
    "$NCU" --import "$OUT/$kernel.ncu-rep" --page source --print-source sass --csv 2>/dev/null | gzip > "$OUT/ncu_${kernel}_sass.csv.gz"
    rm -f "$OUT/$kernel.ncu-rep"
    tail -3 "$OUT/ncu_$kernel.run.log"; grep -E "Duration|Issue Slots Busy|Executed Ipc A|Registers|Achieved Occ" "$OUT/ncu_$kernel.txt" | head
  done
fi
say "done"
tar czf "$FINAL/scan-profile.tar.gz" -C "$OUT" . && ls -la "$OUT" "$FINAL"
