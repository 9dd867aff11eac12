#!/usr/bin/env bash
# The desktop app on the GPU machine (issue 10 item 3): unpacks .devgui's .debs (scripts/device-carry-gui.sh), starts
# the carried Xvfb with GLX, builds the app against the Python torch's LibTorch (CUDA), makes the 1B-shaped random
# DiffLlama + Llama pair (bf16), and runs the app's --benchmark at 2K, 32K (with a screenshot) and 8K tokens with
# host RSS and GPU memory sampled. Every step is timed, bounded by `timeout` and by the whole run's budget (BUDGET,
# default 540 s), and a failed step does not stop the next ones. Results in $OUT: gpu-app.log (this output),
# summary.md, bench.jsonl, app-32k.png, demo.png, logs.tar.gz (every step's log).
# On the GPU machine, from the repo root, through the device tool with carry [".devcarry", ".devgui"]:
#   timeout 590 bash scripts/gpu-app-check.sh
# LOCAL=1: a dry run on the CPU development machine (Debian's LibTorch, the bundled models at small sizes, nothing
# written outside /tmp and the build folder; the system's GL client (Mesa) against the carried Xvfb).
# SIZES overrides the runs: TOKENS:FRAMES[:shot] separated by spaces; BUILD_LIMIT the build's seconds (330);
# BASELINE_ENV=VAR=VALUE runs every size again with it set (a same-call baseline); CLI_BENCH (below) the engine alone.
set -uo pipefail
cd "$(dirname "$0")/.."
LOCAL=${LOCAL:-0}
OUT=${OUT:-/tmp/diffscope-gpu-app}
BUDGET=${BUDGET:-540}
W=${WORK:-/tmp/gpuapp}             # logs and scratch
P=$W/root                           # the .debs unpacked here
arch=x86_64-linux-gnu
mkdir -p "$OUT" "$W/logs"
exec > >(tee -a "$OUT/gpu-app.log") 2>&1
tee_pid=$!
export PYTHONUNBUFFERED=1
if [ "$LOCAL" = 1 ]; then
  BUILD=${BUILD:-build-gui-local}
  SIZES=${SIZES:-"256:8 480:6:shot"}
  JOBS=${JOBS:-2}
  DEVICE=cpu DTYPE=f32
  export CCACHE_BASEDIR=/work CCACHE_NOHASHDIR=1
else
  BUILD=${BUILD:-build-gpu-gui}
  SIZES=${SIZES:-"2048:30 32768:12:shot 8192:20"}
  JOBS=${JOBS:-16}
  DEVICE=cuda DTYPE=bf16
fi
MODELS=${MODELS:-/tmp/big}
export LOCAL OUT W P arch BUILD DEVICE DTYPE MODELS

steps=()
say() { echo "[$(date -u +%T) +${SECONDS}s] $*"; }
left() { echo $((BUDGET - SECONDS)); }
save_logs() { tar czf "$OUT/logs.tar.gz" -C "$W" logs 2>/dev/null; }
# step NAME LIMIT COMMAND...: runs COMMAND with stdout+stderr in $W/logs/NAME.log under `timeout`, bounded by what is
# left of the budget (less RESERVE seconds for the steps after it); records and prints its status and time.
step() {
  local name=$1 limit=$2 reserve=${RESERVE:-0}; shift 2
  local t=$(( $(left) - reserve ))
  [ "$t" -lt "$limit" ] || t=$limit
  if [ "$t" -lt 5 ]; then
    say "SKIP $name: the budget is spent"; steps+=("$name: skipped (budget)"); return 125
  fi
  say "start $name (limit ${t}s)"
  local t0=$SECONDS
  # Through bash -c so that shell functions (exported below) run under timeout too; timeout signals the whole group.
  timeout -k 5 "$t" bash -c '"$@"' step "$@" >"$W/logs/$name.log" 2>&1
  local rc=$?
  local took=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then say "ok    $name (${took}s)"; else
    say "FAIL  $name: rc $rc$( [ $rc -eq 124 ] && echo ' (timed out)') after ${took}s; its log ends:"
    tail -15 "$W/logs/$name.log" | sed 's/^/    /'
  fi
  steps+=("$name: rc $rc, ${took}s")
  save_logs
  return $rc
}

unpack_deb() {  # unpack_deb FILE DIR: dpkg -x, or ar + tar where dpkg is missing
  if command -v dpkg >/dev/null; then dpkg -x "$1" "$2"; else
    local d; d=$(mktemp -d) && (cd "$d" && ar x "$(readlink -f "$1")") && tar -xf "$d"/data.tar.* -C "$2"; rm -rf "$d"; fi
}

say "gpu-app-check: LOCAL=$LOCAL, build $BUILD, sizes '$SIZES', $DEVICE $DTYPE, budget ${BUDGET}s, $(git log --oneline -1 2>/dev/null)"
{
  uname -a; grep PRETTY /etc/os-release; nproc; free -g | head -2
  [ "$LOCAL" = 1 ] || nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader
  echo "variant: $(cat .devgui/variant 2>/dev/null)"; du -sh .devgui .devcarry 2>/dev/null
  echo "libGL and NVIDIA GL libraries known to ldconfig (before):"; ldconfig -p | grep -E "libGL|libEGL|libOpenGL|GLX" || true
  ls /usr/local/nvidia/lib64 2>/dev/null | grep -iE "glx|egl|glcore" || true
} >"$W/logs/machine.log" 2>&1
cat "$W/logs/machine.log"
[ -d .devgui/debs ] || { say "error: no .devgui/debs: run scripts/device-carry-gui.sh and carry .devgui"; exit 1; }

# 1. Unpack everything into $P; the libglvnd loaders also into / (the device README's recipe), then ldconfig.
unpack_all() {
  rm -rf "$P" && mkdir -p "$P/stub" "$P/runlib" || return 1
  local f bad=0
  for f in .devgui/debs/*.deb .devgui/loaders/*.deb; do unpack_deb "$f" "$P" || { echo "could not unpack $f"; bad=1; }; done
  if [ "$LOCAL" != 1 ]; then
    for f in .devgui/loaders/*.deb; do unpack_deb "$f" / || { echo "could not unpack $f into /"; bad=1; }; done
    ldconfig
  fi
  [ -e .devgui/stub/libLLVM-15.so.1 ] && cp .devgui/stub/libLLVM-15.so.1 "$P/stub/"
  # Libraries the host lacks, as links in $P/runlib: the host's own (Ubuntu 24.04, newer) win where both exist.
  local have; have=$(ldconfig -p | awk '{print $1}' | sort -u)
  for f in "$P"/usr/lib/$arch/*.so.* "$P"/lib/$arch/*.so.*; do
    [ -e "$f" ] || continue
    grep -qxF "$(basename "$f")" <<<"$have" && continue
    ln -sf "$f" "$P/runlib/$(basename "$f")"
  done
  echo "carried libraries used (the host lacks them):"; ls "$P/runlib" | tr '\n' ' '; echo
  # Xvfb runs /usr/bin/xkbcomp (compiled in); DejaVu Sans is the app's UI font (fixed paths).
  if [ "$LOCAL" != 1 ]; then
    [ -x /usr/bin/xkbcomp ] || ln -sf "$P/usr/bin/xkbcomp" /usr/bin/xkbcomp
    if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -e "$P/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ]; then
      mkdir -p /usr/share/fonts/truetype/dejavu && cp "$P/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" /usr/share/fonts/truetype/dejavu/
    fi
  fi
  echo "libGL after:"; ldconfig -p | grep -E "libGL\.so|libGLX\.so|libOpenGL|libGLdispatch" || true
  return $bad
}
export -f say unpack_deb unpack_all
step unpack 90 unpack_all; cat "$W/logs/unpack.log" | tail -4

# The environments: Xvfb's (the stub libLLVM first, softpipe in its GLX) and the GL clients' (NVIDIA's GLX vendor).
xvfb_env=(env LD_LIBRARY_PATH="$P/stub:$P/runlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
          LIBGL_DRIVERS_PATH="$P/usr/lib/$arch/dri" GALLIUM_DRIVER=softpipe)
client_ld="$P/runlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -d /usr/local/nvidia/lib64 ] && client_ld="$client_ld:/usr/local/nvidia/lib64"
export LD_LIBRARY_PATH="$client_ld"
[ "$LOCAL" = 1 ] || export __GLX_VENDOR_LIBRARY_NAME=nvidia

# 2. Xvfb on a free display.
xvfb_pid=""
cleanup() { [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null; for p in $(jobs -p); do kill "$p" 2>/dev/null; done; save_logs; }
trap cleanup EXIT
start_xvfb() {
  local d
  for d in 99 98 97 96 95 94 93 92 91 90; do
    [ -e /tmp/.X$d-lock ] || [ -e /tmp/.X11-unix/X$d ] || break
  done
  say "Xvfb on :$d"
  "${xvfb_env[@]}" "$P/usr/bin/Xvfb" ":$d" -screen 0 1600x1000x24 -nolisten tcp -xkbdir "$P/usr/share/X11/xkb" \
    >"$W/logs/xvfb.log" 2>&1 &
  xvfb_pid=$!
  local i
  for i in $(seq 1 60); do
    [ -S /tmp/.X11-unix/X$d ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.25
  done
  if [ -S /tmp/.X11-unix/X$d ] && kill -0 "$xvfb_pid" 2>/dev/null; then
    export DISPLAY=:$d; say "Xvfb is up (pid $xvfb_pid)"
  else
    say "FAIL  Xvfb did not start; its log:"; sed 's/^/    /' "$W/logs/xvfb.log" | head -40; xvfb_pid=""
  fi
}
start_xvfb

# 3. GL through GLFW, before the long build: which renderer the app will get.
probe() {
  [ -x "$W/gl_probe" ] || gcc -O1 -o "$W/gl_probe" scripts/gl_probe.c -I"$P/usr/include" -L"$P/usr/lib/$arch" \
    -lglfw -lGL -Wl,-rpath-link,"$P/usr/lib/$arch" || return 1
  "$W/gl_probe"
}
export -f probe
step gl_probe 30 probe; grep -E "gl_probe|error|Error" "$W/logs/gl_probe.log" | head -12
gl_mode=nvidia
if [ "$LOCAL" = 1 ]; then gl_mode=local
elif ! grep -q "GL_VENDOR.*NVIDIA" "$W/logs/gl_probe.log"; then
  # Fallback: Mesa's GLX client with softpipe (the carried swrast_dri.so and stub libLLVM): the app runs, drawing on
  # the CPU; the engine's numbers (keystroke to statistics, memory) are still the GPU's.
  say "NVIDIA's GLX did not give a window (above): trying Mesa's softpipe instead"
  if __GLX_VENDOR_LIBRARY_NAME=mesa LD_LIBRARY_PATH="$P/stub:$LD_LIBRARY_PATH" LIBGL_DRIVERS_PATH="$P/usr/lib/$arch/dri" \
     GALLIUM_DRIVER=softpipe step gl_probe_softpipe 30 probe; then
    gl_mode=softpipe
    export __GLX_VENDOR_LIBRARY_NAME=mesa LD_LIBRARY_PATH="$P/stub:$LD_LIBRARY_PATH" \
      LIBGL_DRIVERS_PATH="$P/usr/lib/$arch/dri" GALLIUM_DRIVER=softpipe
  fi
  grep -E "gl_probe|error|Error" "$W/logs/gl_probe_softpipe.log" | head -8
  say "GL for the app: $gl_mode (frame times below are NOT the GPU's drawing)"
fi

# 4. The 1B-shaped pair on the GPU, in the background while the app builds (GPU and disk against the build's CPUs).
models_pid=""
if [ "$LOCAL" != 1 ]; then
  if [ -e "$MODELS/diffllama/config.json" ] && [ -e "$MODELS/llama/config.json" ]; then
    say "models: $MODELS already holds the pair"
  else
    say "models: making the 1B-shaped pair in $MODELS (background)"
    (t0=$SECONDS; timeout 200 python3 scripts/check_against_hf.py --device cuda --make-big-models "$MODELS"
     echo "rc $? after $((SECONDS - t0))s") >"$W/logs/models.log" 2>&1 &
    models_pid=$!
  fi
fi

# 5. Configure and build the app alone.
configure() {
  # LOCAL: the system's nlohmann_json / stb / PCRE2 as the other local builds use them (so that ccache serves the
  # engine's objects); on the GPU machine .devcarry's.
  local prefix="$P/usr" extra=()
  if [ "$LOCAL" != 1 ]; then
    local torch_prefix; torch_prefix=$(timeout 60 python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') || return 1
    prefix="$P/usr;$torch_prefix;$PWD/.devcarry"
    extra=(-DCMAKE_BUILD_TYPE=Release -DDIFFSCOPE_CUDA_KERNELS=${KERNELS:-ON} -DCMAKE_CUDA_ARCHITECTURES=90)
  fi
  cmake -S . -B "$BUILD" -G Ninja -DDIFFSCOPE_GUI=ON -DDIFFSCOPE_GUI_DEPS_BY_PATH=ON -DDIFFSCOPE_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$prefix" "${extra[@]}"
}
export -f configure
if ! RESERVE=240 step configure 90 configure; then
  [ "$LOCAL" != 1 ] && { rm -rf "$BUILD"; KERNELS=OFF RESERVE=240 step configure_no_kernels 90 configure; }
fi
grep -E "LibTorch|DIFFSCOPE|Dear ImGui|OpenGL|GLFW|Error|error" "$W/logs"/configure*.log | head -20
targets=diffscope
[ -n "${CLI_BENCH:-}" ] && targets="diffscope diffscope-cli"
RESERVE=150 step build "${BUILD_LIMIT:-330}" cmake --build "$BUILD" -j"$JOBS" --target $targets
grep -E "error|FAILED" "$W/logs/build.log" | head -20
app="$BUILD/app/diffscope"
[ -x "$app" ] || say "FAIL  no app at $app"

if [ -n "$models_pid" ]; then
  say "waiting for the models"; wait "$models_pid"; cat "$W/logs/models.log" | tail -3
fi
if [ "$LOCAL" = 1 ]; then model_a=assets/models/diff model_b=assets/models/standard
else model_a=$MODELS/diffllama model_b=$MODELS/llama; fi

# 6. A demo frame (no models): the app's window, GL and fonts.
RESERVE=60 step demo 30 "$app" --demo --frames 3 --screenshot "$OUT/demo.png"; grep -E "OpenGL|wrote|error" "$W/logs/demo.log"

# 7. The benchmark at each size, with host RSS and the GPU's memory sampled every 0.5 s.
sample() {  # sample PID FILE: seconds, RSS MiB, GPU memory used MiB (whole card), until PID ends
  local pid=$1 file=$2 t0=$SECONDS
  echo "s rss_mib gpu_used_mib" >"$file"
  while kill -0 "$pid" 2>/dev/null; do
    local rss gpu="-"
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/"$pid"/status 2>/dev/null)
    [ "$LOCAL" = 1 ] || gpu=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1)
    echo "$((SECONDS - t0)) ${rss:--} ${gpu:--}" >>"$file"
    sleep 0.5
  done
}
bench_run() {  # bench_run TOKENS FRAMES [shot]
  local n=$1 frames=$2 shot=${3:-} args=()
  [ "$shot" = shot ] && args=(--screenshot "$OUT/app-$((n / 1024))k.png")
  [ "$LOCAL" = 1 ] && [ "$shot" = shot ] && args=(--screenshot "$OUT/app-$n.png")
  "$app" --model "$model_a" --model-b "$model_b" --benchmark "$frames" --bench-tokens "$n" --device "$DEVICE" \
    --dtype "$DTYPE" --timeout 150 --size 1600x1000 "${args[@]}" &
  local pid=$!
  sample "$pid" "$W/logs/mem_$n.txt" &
  local spid=$!
  wait "$pid"; local rc=$?
  wait "$spid"
  awk 'NR > 1 && $2 != "-" && $2 > r {r = $2} NR > 1 && $3 != "-" && $3 > g {g = $3}
       END {printf "sampled: peak RSS %s MiB, peak GPU memory used %s MiB (whole card)\n", r, g}' "$W/logs/mem_$n.txt"
  return $rc
}
export app model_a model_b
export -f sample bench_run
base_gpu=""
[ "$LOCAL" = 1 ] || base_gpu=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1)
say "GPU memory used before the runs: ${base_gpu:-n/a} MiB"
if [ -x "$app" ]; then
  for spec in $SIZES; do
    IFS=: read -r n frames shot <<<"$spec"
    # A 32K run needs ~90 s (loads, first results, 12 keystrokes of ~4 s); keep 20 s for the summary.
    RESERVE=20 step "bench_$n" 240 bench_run "$n" "$frames" "$shot"
    grep -vE "^BENCH" "$W/logs/bench_$n.log" | grep -E "benchmark:|first|idle|typing|keystroke|engine|frames|zoom|memory|sampled|OpenGL|error|diffscope:" | head -24
    grep "^BENCH" "$W/logs/bench_$n.log" | sed "s/^BENCH /{\"run_tokens\": $n, \"bench_line\": /; s/\$/}/" >>"$OUT/bench.jsonl"
  done
fi
# BASELINE_ENV=VAR=VALUE: each size once more with it set (a same-call baseline of an engine change; its lines are
# printed and kept in the logs, not in the summary).
if [ -x "$app" ] && [ -n "${BASELINE_ENV:-}" ]; then
  for spec in $SIZES; do
    IFS=: read -r n frames shot <<<"$spec"
    RESERVE=20 step "bench_${n}_baseline" 240 env "$BASELINE_ENV" bash -c 'bench_run "$@"' _ "$n" "$frames"
    echo "baseline ($BASELINE_ENV):"
    grep -vE "^BENCH" "$W/logs/bench_${n}_baseline.log" | grep -E "benchmark:|typing|keystroke|engine|frames meanwhile" | head -12
  done
fi

# CLI_BENCH="TOKENS ...": the engine alone after the app (`diffscope-cli bench` on model A, every mode: forward,
# statistics, one full head, a keystroke reusing the cache, a full run at a new length), and again with
# CLI_BENCH_BASELINE_ENV=VAR=VALUE set where given; the lines are in the logs and in gpu-app.log.
if [ -n "${CLI_BENCH:-}" ] && [ -x "$BUILD/app/diffscope-cli" ]; then
  for n in $CLI_BENCH; do
    for env_set in "" ${CLI_BENCH_BASELINE_ENV:-}; do
      name="cli_bench_${n}${env_set:+_baseline}"
      RESERVE=10 step "$name" 150 env $env_set "$BUILD/app/diffscope-cli" bench \
        --model "$model_a" --tokens "$n" --runs 3 --device "$DEVICE" --dtype "$DTYPE"
      echo "cli bench $n ${env_set:-(default)}:"; grep -vE "^BENCH" "$W/logs/$name.log" | head -12
    done
  done
fi

# 8. Summary: one table from the BENCH lines and the samples.
summarize() {
  python3 - "$OUT/bench.jsonl" "$W/logs" "${base_gpu:-}" <<'EOF'
import json, os, sys
path, logs, base = sys.argv[1], sys.argv[2], sys.argv[3]
runs = {}
if os.path.exists(path):
    for line in open(path):
        try:
            j = json.loads(line)
        except ValueError:
            continue
        runs.setdefault(j["run_tokens"], {})[j["bench_line"]["phase"]] = j["bench_line"]
def frames(p):
    return f"{p['median_ms']:.1f} / {p['p90_ms']:.1f} / {p['max_ms']:.1f}" if p and "median_ms" in p else "-"
def lat(d):
    return f"{d['median']:.0f} / {d['p90']:.0f} / {d['max']:.0f}" if d and d.get("count") else "-"
def sampled(n):
    f = os.path.join(logs, f"mem_{n}.txt")
    if not os.path.exists(f):
        return "-", "-"
    rows = [l.split() for l in open(f)][1:]
    rss = [float(r[1]) for r in rows if len(r) > 2 and r[1] != "-"]
    gpu = [float(r[2]) for r in rows if len(r) > 2 and r[2] != "-"]
    g = f"{max(gpu):.0f}" + (f" (+{max(gpu) - float(base):.0f})" if gpu and base else "") if gpu else "-"
    return (f"{max(rss):.0f}" if rss else "-"), g
sizes = sorted(runs)
print("| | " + " | ".join(f"{n} tokens" for n in sizes) + " |")
print("|---|" + "---|" * len(sizes))
rows = [
    ("first results (load both, run)", lambda r: f"{r['setup']['first_results_ms'] / 1000:.1f} s" if "setup" in r else "-"),
    ("idle frame, median / p90 / max ms", lambda r: frames(r.get("idle"))),
    ("typing frame (key every 3 frames)", lambda r: frames(r.get("typing"))),
    ("keystroke -> submitted (debounce), median", lambda r: f"{r['keystroke']['submit_ms']['median']:.0f} ms" if "keystroke" in r else "-"),
    ("keystroke -> both slots' statistics, median / p90 / max ms", lambda r: lat(r.get("keystroke", {}).get("stats_ms"))),
    ("keystroke -> refined focused map, median / p90 / max ms", lambda r: lat(r.get("keystroke", {}).get("refined_ms")) + (f" ({r['keystroke']['refined']})" if "keystroke" in r else "")),
    ("engine run A / B, median ms", lambda r: f"{r['keystroke']['run_a_ms']['median']:.0f} / {r['keystroke']['run_b_ms']['median']:.0f}" if "keystroke" in r else "-"),
    ("frames while keys ran", lambda r: frames(r.get("keystroke"))),
    ("zoom frame", lambda r: frames(r.get("zoom"))),
    ("window requests / answered while zooming", lambda r: f"{r['zoom']['window_requests']} / {r['zoom']['window_answers']} (final {r['zoom']['final_window_ms']:.0f} ms later)" if "zoom" in r else "-"),
    ("host RSS at the end (peak), MiB", lambda r: f"{r['memory']['rss_mib']:.0f} ({r['memory']['peak_rss_mib']:.0f})" if "memory" in r else "-"),
    ("allocator's GPU memory A, now / peak MiB", lambda r: " / ".join(f"{x:.0f}" if x is not None else "-" for x in (r['memory']['gpu'][0]['allocated_mib'], r['memory']['gpu'][0]['peak_mib'])) if "memory" in r and r['memory']['gpu'] else "-"),
]
for name, f in rows:
    cells = []
    for n in sizes:
        try:
            cells.append(f(runs[n]))
        except Exception as e:  # a phase missing from a failed run
            cells.append("?")
    print(f"| {name} | " + " | ".join(cells) + " |")
print("| sampled peak RSS / GPU memory used (card; + over the start), MiB | " + " | ".join(" / ".join(sampled(n)) for n in sizes) + " |")
for n in sizes:
    r = runs[n].get("setup", {})
    print(f"\n{n}: renderer {r.get('renderer')}, devices {r.get('device')} / {r.get('device_b')}, maps {r.get('maps')}, window {r.get('window')}")
EOF
}
{
  echo "# gpu-app-check $(date -u +%F) $(git log --oneline -1 2>/dev/null | cut -c1-60)"
  [ "$LOCAL" = 1 ] || nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  echo "GL: $gl_mode"; grep -h "gl_probe: GL_" "$W/logs"/gl_probe*.log 2>/dev/null
  echo; summarize; echo
  echo "steps:"; printf '  %s\n' "${steps[@]}"
} >"$OUT/summary.md" 2>&1
save_logs
say "done; $OUT holds: $(ls "$OUT" | tr '\n' ' ')"
cat "$OUT/summary.md"
exec >&- 2>&-  # let tee write the last lines before the device tool ends what is left running
wait "$tee_pid" 2>/dev/null
