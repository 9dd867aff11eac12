// Turns prompt text into the tokens a model receives, each with its byte span in the prompt. Any thread
// (tokenizers are immutable after construction).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapshot.h"

namespace diffscope {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string name() const = 0;
  // Throws InputError for an empty text where the tokenizer has no ids for it (the byte tokenizer); an HF
  // tokenizer gives HF's ids for "" (its post-processor's BOS, or none). Runs use encode_prompt.
  virtual std::vector<Token> encode(const std::string& text) const = 0;
  // The text's own tokens: encode without the special tokens a post-processor adds (BOS) and without its truncation;
  // for text that continues a prompt (a scan's target). May be empty.
  virtual std::vector<Token> encode_continuation(const std::string& text) const { return encode(text); }
  // The bytes one id stands for on its own (for generated tokens; escape_for_display before showing them);
  // "<id>" for an id the tokenizer does not know.
  virtual std::string token_bytes(int64_t id) const = 0;
};

// UTF-8 bytes as ids (id = byte value); needs a vocabulary of at least 256. A token's text is its byte when that
// byte is printable ASCII, else \xNN (one byte of a multi-byte character is not valid UTF-8 on its own).
class ByteTokenizer : public Tokenizer {
 public:
  std::string name() const override { return "bytes"; }
  std::vector<Token> encode(const std::string& text) const override;
  std::string token_bytes(int64_t id) const override;
};

// The tokens of a prompt to run: refuses an empty text with InputError ("the prompt is empty"), even where the
// tokenizer gives ids for it (an HF tokenizer gives BOS alone for ""), since a run needs the prompt's own text.
std::vector<Token> encode_prompt(const Tokenizer& tokenizer, const std::string& text);

// Tokens for ids given directly (--token-ids): text is "<id>", byte spans are the position in the list.
std::vector<Token> tokens_from_ids(const std::vector<int64_t>& ids);

// The tokenizer for a model folder: its tokenizer.json (HfTokenizer) when there is one, else the byte tokenizer when
// the folder has no tokenizer files at all. Throws InputError for tokenizer.model / vocab.json / merges.txt /
// tokenizer_config.json without a tokenizer.json, and for a vocabulary too small for bytes.
std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_dir, int64_t vocab_size);

// Token indices overlapping the byte range [byte_begin, byte_end) of the prompt. Throws InputError when none do.
TokenSpan tokens_overlapping(const std::vector<Token>& tokens, int64_t byte_begin, int64_t byte_end);

// `bytes` with every byte that is not part of valid UTF-8 written as \xNN, and control characters escaped.
std::string escape_for_display(const std::string& bytes);

}  // namespace diffscope
