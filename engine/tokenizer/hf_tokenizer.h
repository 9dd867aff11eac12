// Tokenizer for HF tokenizer.json files (BPE models as the Llama, Mistral, SmolLM and GPT-2 families save them):
// the ids a transformers model receives, each token with its display text and byte span in the prompt.
// Any thread (immutable after construction).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace diffscope {

// Input text that is not valid UTF-8 is first repaired as Python's bytes.decode('utf-8', errors='replace') does
// (each maximal ill-formed subpart becomes U+FFFD), then tokenized; the U+FFFD's tokens span the original bytes.
// Token spans follow HF's offsets: a token that holds part of a character (a byte-fallback or byte-level piece)
// spans the whole character; tokens added by the post-processor (BOS) have the empty span [0, 0).
// Unlike HF's ByteLevel post-processor with trim_offsets, spans keep a token's leading space, which its display
// text shows too.
class HfTokenizer : public Tokenizer {
 public:
  // Throws FileError for an unreadable or malformed file and EngineError naming any feature not supported.
  static std::unique_ptr<HfTokenizer> from_file(const std::string& path);
  static std::unique_ptr<HfTokenizer> from_json_text(const std::string& json_text, const std::string& source);
  ~HfTokenizer() override;

  std::string name() const override { return "hf-bpe (tokenizer.json)"; }
  // HF's ids: for "" the post-processor's tokens alone (BOS, or none). Throws InputError for a non-empty text that
  // yields no token at all.
  std::vector<Token> encode(const std::string& text) const override;
  std::vector<Token> encode_continuation(const std::string& text) const override;
  std::string token_bytes(int64_t id) const override;
  // The largest id this tokenizer can produce (to check it against a model's vocabulary).
  int64_t max_id() const;

 private:
  struct Parts;
  explicit HfTokenizer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace diffscope
