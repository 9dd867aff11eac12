// Fuzz harness: tokenizer.json loading (every normalizer, pre-tokenizer, model and post-processor the engine reads),
// then one encode of a fixed text with whatever loaded. Any input must load or give an EngineError. libFuzzer's
// thread.
#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "tokenizer/hf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto tokenizer = diffscope::HfTokenizer::from_json_text(std::string(reinterpret_cast<const char*>(data), size),
                                                            "fuzz/tokenizer.json");
    (void)tokenizer->encode("Hello, world! The magic number is 4721.\n\xC3\xA9\xF0\x9F\x98\x80 <s> \t");
  } catch (const diffscope::EngineError&) {
  }
  return 0;
}
