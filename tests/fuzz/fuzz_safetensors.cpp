// Fuzz harness: a whole safetensors file (header and buffer) opened through an in-memory file (memfd), then every
// tensor's bytes read. Any input must open or give an EngineError. libFuzzer's thread.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("fuzz.safetensors", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  try {
    auto file = diffscope::SafetensorsFile::open("/proc/self/fd/" + std::to_string(fd));
    uint64_t sum = 0;
    for (const diffscope::TensorInfo& t : file->tensors()) {
      const uint8_t* bytes = file->data(t);
      for (int64_t i = t.begin; i < t.end; ++i) sum += bytes[i - t.begin];
      (void)t.numel();
    }
    (void)sum;
  } catch (const diffscope::EngineError&) {
  }
  close(fd);
  return 0;
}
