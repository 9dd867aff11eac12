// The text steps of an HF tokenizer.json before the model: normalizers (rewrite text) and pre-tokenizers (cut it
// into words), plus the decoder's per-token display rules. Built from JSON; each refuses what it does not support
// with an EngineError naming the feature. Any thread (immutable after construction).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/hf_tokenizer_normalized.h"

namespace diffscope {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedText& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // The words of `text`, in order; empty words are dropped by the caller.
  virtual std::vector<NormalizedText> split(NormalizedText text) const = 0;
};

// nullptr for a JSON null (no step). `source` names the file in error messages.
std::unique_ptr<Normalizer> normalizer_from_json(const nlohmann::json& spec, const std::string& source);
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const nlohmann::json& spec, const std::string& source);

// The byte-level alphabet of GPT-2 (every byte as a printable character) and its inverse (-1: not in the alphabet).
char32_t byte_level_char(unsigned char byte);
int byte_level_byte(char32_t cp);
// Rewrites every byte of `text` as its byte-level character (what ByteLevel pre-tokenizers and normalizers do).
void map_to_byte_level(NormalizedText& text);

// How a token's piece of normalized text reads as input text: byte-level characters back to bytes, the Metaspace
// replacement and Replace decoders' patterns back to what they stand for.
class DisplayDecoder {
 public:
  static DisplayDecoder from_json(const nlohmann::json& spec);
  std::string bytes_of(const std::string& piece) const;

 private:
  bool byte_level_ = false;
  std::vector<std::pair<std::string, std::string>> replacements_;  // applied in order
};

}  // namespace diffscope
