// make_tiny_v2 DIR [SEED] [LAYERS]: writes a tiny random Diff V2 model (byte tokens) into DIR, to open in the app by
// hand (`diffscope --model DIR`; LAYERS, default 2, e.g. 36 to see the statistics of a deep model); the GUI test
// writes the 2-layer one at test time. Main thread.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "tiny_v2_checkpoint.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: make_tiny_v2 DIR [SEED] [LAYERS]\n");
    return 2;
  }
  try {
    std::filesystem::create_directories(argv[1]);
    const uint32_t seed = argc >= 3 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : 7u;
    const long layers = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 2;
    if (layers < 1 || layers > 1000) {
      std::fprintf(stderr, "make_tiny_v2: LAYERS must be 1..1000\n");
      return 2;
    }
    diffscope::testing::write_byte_level_v2(argv[1], seed, static_cast<int>(layers));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_tiny_v2: %s\n", e.what());
    return 1;
  }
  std::printf("wrote a tiny Diff V2 model to %s\n", argv[1]);
  return 0;
}
