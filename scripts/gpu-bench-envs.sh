#!/usr/bin/env bash
# The GPU machine's quickest engine A/B: builds only diffscope-cli, makes the 1B-shaped Diff model of
# scripts/bench_vs_hf.py, then runs `diffscope-cli bench` at each of TOKENS under each environment of ENVS in turn,
# ROUNDS times over (A B A B ...: drift between runs shows as a difference between rounds of the same setting).
# No HF and no tests: for questions such as "does this setting change the run's time" (docs/benchmarks.md).
# Through the device tool, after scripts/device-carry.sh, with carry [".devcarry"]:
#   ENVS="-;MALLOC_TRIM_THRESHOLD_=4294967295" TOKENS=4096,8192 timeout 590 bash scripts/gpu-bench-envs.sh
# ENVS: settings separated by ';', each "-" (none) or VAR=VALUE[,VAR=VALUE]. RUNS: the bench's runs (default 5);
# PROFILE=1 adds the per-stage profiles; CMAKE_EXTRA more configure flags (e.g. -DDIFFSCOPE_TCMALLOC=OFF, to compare
# glibc's malloc with ENVS="-;LD_PRELOAD=$PWD/.devcarry/lib/libtcmalloc_minimal.so.4"). The logs come back as one
# $OUT/gpu-bench-envs.tar.gz (the device tool brings back only a few files: one per run would lose most).
set -uo pipefail
cd "$(dirname "$0")/.."
FINAL=${OUT:-/tmp/diffscope-gpu}
OUT=/tmp/gpu-bench-envs
rm -rf "$OUT" && mkdir -p "$OUT" "$FINAL"
trap 'tar czf "$FINAL/gpu-bench-envs.tar.gz" -C "$OUT" .' EXIT
BUDGET=${BUDGET:-560}
left() { echo $((BUDGET - SECONDS)); }
say() { echo "[+${SECONDS}s] $*"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; uname -r; nproc; } | tee "$OUT/machine.txt"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DDIFFSCOPE_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
  -DDIFFSCOPE_CUDA_KERNELS=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" \
  ${CMAKE_EXTRA:-} >"$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; exit 1; }
grep "malloc  " "$OUT/configure.log"
say "build"
timeout "$(left)" cmake --build build-gpu -j16 --target diffscope-cli >"$OUT/build.log" 2>&1 \
  || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
say "models"
python3 -c "import sys; sys.path.insert(0, 'scripts'); import bench_vs_hf as b; b.make_models('/tmp/bench-1b')" \
  >"$OUT/models.log" 2>&1 || { tail -5 "$OUT/models.log"; exit 1; }
IFS=';' read -r -a settings <<< "${ENVS:--}"
for round in $(seq 1 "${ROUNDS:-2}"); do
  for setting in "${settings[@]}"; do
    vars=()
    [ "$setting" != "-" ] && IFS=',' read -r -a vars <<< "$setting"
    for n in ${TOKENS//,/ }; do
      say "round $round, $setting, $n tokens"
      log="$OUT/bench_r${round}_$(echo "$setting" | tr -c 'A-Za-z0-9_\n' '_')_$n.log"
      timeout "$(left)" env "${vars[@]}" build-gpu/app/diffscope-cli bench --model /tmp/bench-1b/diffllama \
        --tokens "$n" --device cuda --dtype bf16 --runs "${RUNS:-5}" ${PROFILE:+--profile} >"$log" 2>&1
      grep -E "^  [a-z+]" "$log" | cut -c1-60
      [ -n "${PROFILE:-}" ] && grep -E "results to the host|helper thread|forward only|profile of" "$log" | grep -v BENCH | cut -c1-70
    done
  done
done
say "done"
