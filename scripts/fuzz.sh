#!/usr/bin/env bash
# Fuzzes DiffScope's parsers with libFuzzer (clang, Debian's clang + libclang-rt-dev): builds tests/fuzz's harnesses
# with address and undefined-behaviour sanitizers and coverage on the parsers (build-fuzz/), then runs each for
# SECONDS (default 60) from its seeds and reproducers, keeping the grown corpus in build-fuzz/corpus/<name>/ and any
# crashing input in build-fuzz/findings/. Prints each target's last status line (executions, coverage).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_config generation_config safetensors tokenizer_json tokenizer_encode settings session)
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang libclang-rt-14-dev)"; exit 2; }
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIFFSCOPE_GUI=OFF \
    -DDIFFSCOPE_CUDA_KERNELS=OFF -DDIFFSCOPE_FUZZ=ON -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
mkdir -p build-fuzz/findings
for name in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  cp -n tests/fuzz/reproducers/"$name"/* "$corpus"/ 2>/dev/null || true
  cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
  log=build-fuzz/fuzz_$name.log
  # -rss_limit_mb: a parser that grows past 2 GB on one input is a finding (the nesting reproducers grew to 24 GB).
  build-fuzz/tests/fuzz/fuzz_"$name" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix=build-fuzz/findings/"$name"- -print_final_stats=1 >"$log" 2>&1 || {
    echo "$name: FINDING (see $log and build-fuzz/findings/)"; tail -30 "$log"; exit 1; }
  echo "$name: $(grep -E '^#[0-9]+.*(pulse|DONE)' "$log" | tail -1)"
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | tr '\n' ' '; echo
done
