// Byte-level tokenizer, ids-as-tokens, span lookup and display escaping. Any thread.
#include "tokenizer.h"

#include <cstdio>
#include <fstream>

#include "errors.h"
#include "json_limits.h"
#include "tokenizer/hf_tokenizer.h"

namespace diffscope {
namespace {

std::string hex_escape(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", byte);
  return buf;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
size_t utf8_sequence_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len = 0;
  unsigned cp = 0;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const unsigned kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::string escape_for_display(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char b = static_cast<unsigned char>(bytes[i]);
    if (b == '\n') { out += "\\n"; ++i; continue; }
    if (b == '\t') { out += "\\t"; ++i; continue; }
    if (b == '\r') { out += "\\r"; ++i; continue; }
    if (b < 0x20 || b == 0x7F) { out += hex_escape(b); ++i; continue; }
    size_t len = utf8_sequence_length(bytes, i);
    if (len == 0) { out += hex_escape(b); ++i; continue; }
    out.append(bytes, i, len);
    i += len;
  }
  return out;
}

std::vector<Token> ByteTokenizer::encode(const std::string& text) const {
  if (text.empty()) throw InputError("the prompt is empty: type some text");
  std::vector<Token> tokens;
  tokens.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    Token t;
    t.id = static_cast<unsigned char>(text[i]);
    t.text = escape_for_display(text.substr(i, 1));
    t.byte_begin = static_cast<int64_t>(i);
    t.byte_end = static_cast<int64_t>(i + 1);
    tokens.push_back(std::move(t));
  }
  return tokens;
}

std::string ByteTokenizer::token_bytes(int64_t id) const {
  if (id < 0 || id > 255) return "<" + std::to_string(id) + ">";
  return std::string(1, static_cast<char>(id));
}

std::vector<Token> encode_prompt(const Tokenizer& tokenizer, const std::string& text) {
  if (text.empty()) throw InputError("the prompt is empty: type some text");
  return tokenizer.encode(text);
}

std::vector<Token> tokens_from_ids(const std::vector<int64_t>& ids) {
  if (ids.empty()) throw InputError("no token ids given: pass at least one id, e.g. --token-ids 1,2,3");
  std::vector<Token> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    Token t;
    t.id = ids[i];
    t.text = "<" + std::to_string(ids[i]) + ">";
    t.byte_begin = static_cast<int64_t>(i);
    t.byte_end = static_cast<int64_t>(i + 1);
    tokens.push_back(std::move(t));
  }
  return tokens;
}

std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_dir, int64_t vocab_size) {
  const std::string hf_path = model_dir + "/tokenizer.json";
  if (path_exists(hf_path)) return HfTokenizer::from_file(hf_path);  // (a FIFO there is refused, never waited on)
  // Other tokenizer files mean the model has a real tokenizer that is not in tokenizer.json form: bytes would give
  // silently wrong ids. (tokenizer_config.json alone changes no ids in transformers 5: tokenizer.json decides.)
  for (const char* other : {"tokenizer.model", "vocab.json", "merges.txt", "tokenizer_config.json"}) {
    if (path_exists(model_dir + "/" + other)) {
      throw InputError(model_dir + " has " + other + " but no tokenizer.json, the only tokenizer format DiffScope "
                       "reads: write one with transformers (AutoTokenizer.from_pretrained(dir).save_pretrained(dir)) "
                       "or pass --token-ids");
    }
  }
  if (vocab_size < 256) {
    throw InputError(model_dir + ": the vocabulary has " + std::to_string(vocab_size) +
                     " ids, fewer than the 256 the byte-level tokenizer needs; pass --token-ids instead");
  }
  return std::make_unique<ByteTokenizer>();
}

TokenSpan tokens_overlapping(const std::vector<Token>& tokens, int64_t byte_begin, int64_t byte_end) {
  if (byte_begin >= byte_end) {
    throw InputError("span " + std::to_string(byte_begin) + ":" + std::to_string(byte_end) +
                     " is empty: give byte offsets A:B with A < B");
  }
  TokenSpan span{-1, -1};
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].byte_begin < byte_end && tokens[i].byte_end > byte_begin) {
      if (span.begin < 0) span.begin = static_cast<int64_t>(i);
      span.end = static_cast<int64_t>(i) + 1;
    }
  }
  if (span.begin < 0) {
    throw InputError("span " + std::to_string(byte_begin) + ":" + std::to_string(byte_end) +
                     " overlaps no token (the prompt has " +
                     std::to_string(tokens.empty() ? 0 : tokens.back().byte_end) + " bytes)");
  }
  return span;
}

}  // namespace diffscope
