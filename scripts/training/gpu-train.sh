#!/usr/bin/env bash
# One device call: trains the bundled pair (train_pair.py) while DiffScope builds headless in the background, then
# checks the engine against transformers on the trained models and scores them (eval-retrieval on CUDA). Results under $OUT (two model archives, logs).
# Needs carry: [".devcarry", ".traincarry"] (scripts/device-carry.sh, scripts/training/make_corpus.py).
# A run too long for one call: STOP_AFTER=4200 pauses there; the same command, called again while the machine is
# still warm (it is released after about 30 idle seconds), resumes and finishes.
set -uo pipefail
OUT=${OUT:-/tmp/diffscope-train}
STEPS=${STEPS:-8000}
export PYTHONUNBUFFERED=1
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
( cmake -S . -B build-gpu -G Ninja -DDIFFSCOPE_GUI=OFF -DDIFFSCOPE_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$PWD/.devcarry" && cmake --build build-gpu -j8 --target diffscope-cli ) \
  >"$OUT/build.log" 2>&1 &
build_pid=$!
[ "${SMOKE:-0}" = 1 ] && { python3 scripts/training/train_pair.py --data .traincarry --out /tmp/smoke --steps 12 --batch 8 2>&1 | tail -4 || exit 1; }
python3 scripts/training/train_pair.py --data .traincarry --out /tmp/pair --steps "$STEPS" --stop-after "${STOP_AFTER:-0}" \
  2>&1 | tee "$OUT/train.log"
cp /tmp/pair/work/*.log "$OUT/"
# A paused run (STOP_AFTER) leaves its state in /tmp/pair/work: call again at once, on the same warm machine, to resume.
grep -q "paused at step" "$OUT/train.log" && { wait $build_pid; exit 0; }
tar czf "$OUT/diff.tgz" -C /tmp/pair diff
tar czf "$OUT/standard.tgz" -C /tmp/pair standard
wait $build_pid || { tail -30 "$OUT/build.log"; exit 1; }
python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cpu --models /tmp/pair/diff /tmp/pair/standard 2>&1 | grep -v "Writing\|Loading" | tee "$OUT/check.log"
build-gpu/app/diffscope-cli eval-retrieval --model /tmp/pair/diff --model-b /tmp/pair/standard --device cuda \
  --out "$OUT/eval-retrieval.md" >/dev/null 2>"$OUT/eval.err" && cat "$OUT/eval-retrieval.md"
ls -la "$OUT"
