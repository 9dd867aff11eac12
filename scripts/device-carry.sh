#!/usr/bin/env bash
# Gathers the header-only and small Debian dependencies (nlohmann_json, Catch2, stb, PCRE2, utf8proc, tcmalloc) into
# .devcarry/, a prefix that the GPU machine (no package access) is given with the device tool's `carry`; see
# scripts/gpu-check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .devcarry
mkdir -p .devcarry/include .devcarry/lib/cmake .devcarry/share/cmake
cp -r /usr/include/nlohmann .devcarry/include/
cp -r /usr/include/catch2 .devcarry/include/
cp -r /usr/include/stb .devcarry/include/
cp /usr/lib/x86_64-linux-gnu/libstb.a .devcarry/lib/
cp /usr/include/pcre2.h .devcarry/include/
cp /usr/lib/x86_64-linux-gnu/libpcre2-8.a .devcarry/lib/
cp /usr/include/utf8proc.h .devcarry/include/
cp /usr/lib/x86_64-linux-gnu/libutf8proc.a .devcarry/lib/
cp -r /usr/share/cmake/nlohmann_json .devcarry/share/cmake/
cp -r /usr/lib/cmake/Catch2 .devcarry/lib/cmake/
cp /usr/lib/libCatch2WithMain.a .devcarry/lib/  # Catch2Targets.cmake insists on it
# tcmalloc, as a build here links it (CMakeLists.txt: glibc's malloc faults a run's fresh host buffers in again each
# run). The GPU machine's builds used glibc's until session 14; session 15 measured the difference there: ~100 ms of
# "+ one full head" at 8K (docs/benchmarks.md, session 15).
cp -L /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 .devcarry/lib/  # files, not links
du -sh .devcarry
