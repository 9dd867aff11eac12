// Fuzz harness: generation_config.json (EOS ids with config.json's as fallback, and the sampling defaults). Any input
// must give a result or an EngineError. libFuzzer's thread.
#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "generation_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)diffscope::parse_eos_token_ids(text, text, "fuzz");
  } catch (const diffscope::EngineError&) {
  }
  try {
    (void)diffscope::parse_sampling_defaults(text, "fuzz");
  } catch (const diffscope::EngineError&) {
  }
  return 0;
}
