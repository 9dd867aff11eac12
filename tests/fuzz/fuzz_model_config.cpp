// Fuzz harness: config.json parsing (parse_model_config) and, for configs that parse, the RoPE frequencies. Any
// input must give a ModelConfig or an EngineError; anything else escaping is a finding. libFuzzer's thread.
#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const diffscope::ModelConfig config =
        diffscope::parse_model_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz/config.json");
    (void)diffscope::rope_inverse_frequencies(config);
  } catch (const diffscope::EngineError&) {
  }
  return 0;
}
