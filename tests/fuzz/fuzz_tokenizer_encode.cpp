// Fuzz harness: arbitrary bytes (invalid UTF-8, NUL, control characters included) encoded by each committed tokenizer
// family (tests/fixtures/tokenizers); offsets must stay inside the text. Any input must encode or give an EngineError.
// libFuzzer's thread.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "tokenizer/hf_tokenizer.h"

namespace {
const std::vector<std::unique_ptr<diffscope::HfTokenizer>>& tokenizers() {
  static const auto all = [] {
    std::vector<std::unique_ptr<diffscope::HfTokenizer>> t;
    for (const char* family : {"gpt2", "llama2", "llama3", "metaspace"}) {
      t.push_back(diffscope::HfTokenizer::from_file(std::string(DIFFSCOPE_FIXTURES) + "/tokenizers/" + family +
                                                    "/tokenizer.json"));
    }
    return t;
  }();
  return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& tokenizer : tokenizers()) {
    try {
      for (const diffscope::Token& t : tokenizer->encode(text)) {
        if (t.byte_begin < 0 || t.byte_begin > t.byte_end) std::abort();  // offsets out of order: a finding
      }
    } catch (const diffscope::EngineError&) {
    }
  }
  return 0;
}
