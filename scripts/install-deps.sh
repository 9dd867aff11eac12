#!/usr/bin/env bash
# Installs the Debian packages DiffScope needs to build, test and run. Nothing is fetched from anywhere else.
# Usage: scripts/install-deps.sh [--sanitizers]   (as root, or with sudo available)
#   --sanitizers  also clang and its runtime libraries, for scripts/test-sanitizers.sh and scripts/fuzz.sh (libFuzzer)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev                 # LibTorch 1.13 (CPU)
  libopenblas0-openmp          # an optimized BLAS for LibTorch (Debian's default is the slow reference BLAS)
  libgoogle-perftools-dev      # tcmalloc: reuses LibTorch's large CPU buffers instead of faulting them in each time
  nlohmann-json3-dev catch2 libstb-dev
  libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri   # GUI: Dear ImGui 1.86 + GLFW + OpenGL (Mesa)
  xvfb xauth                   # headless GUI tests and screenshots
  fonts-dejavu-core            # wide Unicode coverage for token labels
  libpcre2-dev                 # Unicode regex for HF tokenizers' split patterns
  libutf8proc-dev              # Unicode normalization (NFC/NFD/NFKC/NFKD) for HF tokenizers' normalizers
  libpng-dev                   # PNG exports of long prompts' maps, written band by band
)

if [ "${1:-}" = "--sanitizers" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
