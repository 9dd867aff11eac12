#!/usr/bin/env bash
# Downloads the Debian 12 .deb files that the desktop app needs on the GPU machine (Ubuntu 24.04 without GLFW, Dear ImGui,
# GL headers, the libglvnd loaders, Xvfb, XKB data or Mesa) into .devgui/, carried with `carry: [".devcarry", ".devgui"]`
# to scripts/gpu-app-check.sh. docs/gpu-runs.md ("The desktop app on the GPU machine") says what is carried and why.
#
# Variants (GUI_CARRY_VARIANT):
#   stub (default, ~15 MiB): Xvfb's GLX extension needs Mesa's swrast_dri.so to start at all, and that file links
#        libLLVM-15 (22 MiB compressed, plus libz3 7 MiB): over the 64 MiB the device tool carries. The app's GL runs
#        in NVIDIA's libGLX_nvidia (__GLX_VENDOR_LIBRARY_NAME=nvidia), not in the X server, so Xvfb is started with
#        GALLIUM_DRIVER=softpipe and swrast_dri.so gets a stub libLLVM-15.so.1 built here: every LLVM_15 symbol it
#        imports, as a function that logs its name and returns 0, or as zeroed data. (Loading the driver calls
#        LLVMIsMultithreaded once; softpipe calls nothing else: checked under Xvfb with GL clients on this machine.)
#   llvm (~43 MiB): the real libLLVM-15 and its libraries instead of the stub (llvmpipe in Xvfb). Too large to travel
#        together with the repository and .devcarry; only for a tree cut down to fit.
set -uo pipefail
cd "$(dirname "$0")/.."
variant=${GUI_CARRY_VARIANT:-stub}
dest=.devgui
arch=x86_64-linux-gnu
grep -qxF '/.devgui/' .gitignore || { echo "error: .gitignore must list /.devgui/"; exit 1; }
rm -rf "$dest/stub"
mkdir -p "$dest/debs" "$dest/loaders" "$dest/stub"

# The libglvnd loaders: unpacked into / on the GPU machine, as the device tool's README says (libGL.so.1 dispatches
# GLX to libGLX_nvidia.so.0 there).
loaders="libgl1 libglx0 libglvnd0 libopengl0 libegl1"
# Build: GLFW, Dear ImGui (a static libimgui.a with its backends), the GL headers and link names (libgl-dev,
# libglx-dev, libopengl-dev; the app includes GL/gl.h and GL/glext.h only, so no X11 headers).
build="libglfw3 libglfw3-dev libimgui-dev libgl-dev libglx-dev libopengl-dev"
# Run: libraries GLFW opens with dlopen (it runs without most of them, but not as well).
glfw_run="libxrandr2 libxinerama1 libxcursor1 libxi6 libxrender1 libxext6 libxfixes3 libx11-xcb1 libxxf86vm1"
# Xvfb, its libraries that Ubuntu 24.04's base lacks (libXfont2 and its font libraries, pixman, libunwind), xkbcomp
# (x11-xkb-utils; Xvfb runs /usr/bin/xkbcomp) with libxkbfile, and the XKB data.
xvfb="xvfb libxfont2 libfontenc1 libfreetype6 libbrotli1 libpixman-1-0 libunwind8 x11-xkb-utils libxkbfile1 xkb-data"
# Mesa's DRI driver for Xvfb's GLX extension (swrast_dri.so) and its libraries.
mesa="libgl1-mesa-dri libglapi-mesa libdrm2 libdrm-amdgpu1 libdrm-intel1 libdrm-nouveau2 libdrm-radeon1 libpciaccess0
  libelf1 libsensors5 libxcb-dri3-0"
# Mesa's GLX client (libGLX_mesa) for the fallback when NVIDIA's GLX cannot draw into Xvfb: the app then draws with
# softpipe on the CPU (frame times not the GPU's, the engine's numbers still are).
mesa_client="libglx-mesa0 libxcb-dri2-0 libxcb-glx0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1
  libxcb-xfixes0 libxshmfence1"
# Libraries that Ubuntu 24.04's base image has (Xvfb needs them): carried in case, used only where the host lacks them
# (gpu-app-check.sh links only the missing ones into its library path).
base="libbsd0 libmd0 libaudit1 libcap-ng0 libxau6 libxdmcp6 libgcrypt20 libgpg-error0 libsystemd0 liblz4-1 libcap2
  libselinux1 libpcre2-8-0 libbz2-1.0 libexpat1 liblzma5 libzstd1"
# DejaVu Sans, the app's UI font (ui/resources.cpp looks in /usr/share/fonts; without it ImGui's built-in font).
fonts="fonts-dejavu-core"
llvm="libllvm15 libz3-4 libedit2 libxml2 libicu72"
pkgs="$build $glfw_run $xvfb $mesa $mesa_client $fonts $base"
[ "$variant" = llvm ] && pkgs="$pkgs $llvm"

failed=""
download() {  # download DIR PKG...: one package at a time, so that one missing name does not stop the others
  local dir=$1; shift
  for p in "$@"; do
    ls "$dir/${p}"_*.deb >/dev/null 2>&1 && continue  # kept from an earlier run
    (cd "$dir" && apt-get download "$p" >/dev/null 2>&1) || { echo "  could not download $p"; failed="$failed $p"; }
  done
  for f in "$dir"/*.deb; do  # left from an earlier run with other packages (the other variant)
    [ -e "$f" ] || continue
    case " $(echo $*) " in *" $(basename "$f" | cut -d_ -f1) "*) ;; *) echo "  removing $f"; rm -f "$f";; esac
  done
}
if ! apt-cache show libglfw3 >/dev/null 2>&1; then
  echo "apt-get update (no package lists yet)"
  apt-get update >/dev/null 2>&1 || echo "warning: apt-get update failed"
fi
echo "downloading the loaders: $loaders"
download "$dest/loaders" $loaders
echo "downloading $(echo $pkgs | wc -w) packages (variant $variant)"
download "$dest/debs" $pkgs
[ -z "$failed" ] || { echo "error: missing packages:$failed"; exit 1; }

# x11-xkb-utils: only xkbcomp is used, but the .deb is small (~170 KiB); xkb-data is 800 KiB.
if [ "$variant" = stub ]; then
  echo "building the stub libLLVM-15.so.1 for swrast_dri.so"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  dpkg -x "$dest"/debs/libgl1-mesa-dri_*.deb "$tmp/mesa"
  dri="$tmp/mesa/usr/lib/$arch/dri/swrast_dri.so"
  llvm_lib=/usr/lib/$arch/libLLVM-15.so.1
  if [ ! -e "$llvm_lib" ]; then  # the real library, for the sizes of the data symbols only (not carried)
    mkdir -p "$tmp/llvm" && (cd "$tmp" && apt-get download libllvm15 >/dev/null 2>&1) \
      && dpkg -x "$tmp"/libllvm15_*.deb "$tmp/llvm" && llvm_lib="$tmp/llvm/usr/lib/$arch/libLLVM-15.so.1"
  fi
  [ -e "$llvm_lib" ] || { echo "error: no libLLVM-15.so.1 to read symbol sizes from"; exit 1; }
  # Every symbol that swrast_dri.so imports with version LLVM_15: type (DF function, DO object) and name.
  objdump -T "$dri" | awk '$0 ~ /\*UND\*/ && $0 ~ /LLVM_15/ {print $2, $NF}' | sort -u >"$tmp/imports"
  objdump -T "$llvm_lib" | awk '$0 ~ /LLVM_15/ && $0 !~ /\*UND\*/ {print $NF, $5}' | sort -u >"$tmp/sizes"
  {
    echo "/* Generated by scripts/device-carry-gui.sh: stand-ins for the LLVM symbols that Mesa's swrast_dri.so imports."
    echo "   Xvfb runs it with GALLIUM_DRIVER=softpipe, which calls none of them. */"
    echo "#include <stdio.h>"
    echo "#include <stdlib.h>"
    echo "static long llvm_stub_called(const char* name) {  /* 0 in the return register: false, a null pointer */"
    echo "  fprintf(stderr, \"stub libLLVM-15: %s called (Xvfb runs with GALLIUM_DRIVER=softpipe)\\n\", name);"
    echo "  if (getenv(\"DIFFSCOPE_LLVM_STUB_ABORT\")) abort();"
    echo "  return 0;"
    echo "}"
    i=0
    while read -r kind name; do
      i=$((i + 1))
      if [ "$kind" = DO ]; then
        hex=$(awk -v n="$name" '$1 == n {print $2; exit}' "$tmp/sizes")
        size=$((16#${hex:-40}))
        [ "$size" -gt 0 ] || size=64
        echo "__attribute__((aligned(16))) char d$i[$size] __asm__(\"$name\");"
      else
        echo "long f$i(void) __asm__(\"$name\");"
        echo "long f$i(void) { return llvm_stub_called(\"$name\"); }"
      fi
    done <"$tmp/imports"
  } >"$tmp/llvm_stub.c"
  echo 'LLVM_15 { global: *; };' >"$tmp/llvm_stub.map"
  gcc -shared -fPIC -O1 -o "$dest/stub/libLLVM-15.so.1" -Wl,-soname,libLLVM-15.so.1 \
    -Wl,--version-script="$tmp/llvm_stub.map" "$tmp/llvm_stub.c" || { echo "error: the stub did not build"; exit 1; }
  echo "  $(wc -l <"$tmp/imports") symbols ($(grep -c '^DO' "$tmp/imports") data)"
  # Check: the driver resolves every LLVM_15 symbol against the stub.
  missing=$(comm -23 <(awk '{print $2}' "$tmp/imports" | sort -u) \
                     <(objdump -T "$dest/stub/libLLVM-15.so.1" | awk '/LLVM_15/ && !/\*UND\*/ {print $NF}' | sort -u))
  [ -z "$missing" ] || { echo "error: the stub lacks: $missing"; exit 1; }
fi
echo "$variant" >"$dest/variant"
ls -l "$dest"/debs "$dest"/loaders "$dest"/stub | awk 'NF > 5 {printf "  %8d %s\n", $5, $NF}'
echo "total: $(du -sh "$dest" | cut -f1) in $dest (variant $variant)"
echo "travelling with the tracked tree and .devcarry: about $(( ($(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) \
  + $(du -sb "$dest" | cut -f1) + $( [ -d .devcarry ] && du -sb .devcarry | cut -f1 || echo 0)) / 1048576 )) MiB of 64"
