// HfTokenizer: reads tokenizer.json and runs HF's pipeline on a prompt: added tokens, normalizer, pre-tokenizer,
// BPE, post-processor, keeping every token's exact byte span. Any thread (encode only reads).
#include "tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "json_limits.h"
#include "tokenizer/hf_tokenizer_added.h"
#include "tokenizer/hf_tokenizer_bpe.h"
#include "tokenizer/hf_tokenizer_post.h"
#include "tokenizer/hf_tokenizer_steps.h"

namespace diffscope {

using json = nlohmann::json;

struct HfTokenizer::Parts {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  AddedTokens added;
  BpeModel model;
  PostProcessor post;
  DisplayDecoder display;
};

HfTokenizer::HfTokenizer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

std::string HfTokenizer::token_bytes(int64_t id) const {
  if (const AddedToken* added = parts_->added.find(id)) return added->content;
  const std::optional<std::string> piece = parts_->model.token_of(id);
  if (!piece) return "<" + std::to_string(id) + ">";
  return parts_->display.bytes_of(*piece);
}
HfTokenizer::~HfTokenizer() = default;

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::string& path) {
  std::string text;
  if (!read_small_file(path, &text, kMaxTokenizerJsonBytes)) throw FileError("cannot open tokenizer file " + path);
  return from_json_text(text, path);
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_json_text(const std::string& json_text, const std::string& source) {
  // Size and nesting capped before parsing: the loaders below recurse into normalizer and pre-tokenizer sequences.
  const json doc = parse_limited_json(json_text, source, kMaxTokenizerJsonBytes);
  if (!doc.is_object() || !doc.contains("model") || !doc["model"].is_object()) {
    throw FileError(source + " has no \"model\": not an HF tokenizer.json");
  }
  try {
    const json& model = doc["model"];
    // Older files leave out the model's type; a BPE is the one with merges.
    const std::string type = model.value("type", std::string(model.contains("merges") ? "BPE" : "?"));
    if (type != "BPE") {
      throw EngineError(source + ": tokenizer model \"" + type +
                        "\" is not supported (DiffScope supports BPE tokenizers: Llama, Mistral, GPT-2 style)");
    }
    const auto field = [&](const char* key) { return doc.contains(key) ? doc[key] : json(); };
    auto parts = std::make_unique<Parts>();
    parts->normalizer = normalizer_from_json(field("normalizer"), source);
    parts->pre_tokenizer = pre_tokenizer_from_json(field("pre_tokenizer"), source);
    parts->model = BpeModel::from_json(model, source);
    parts->added = AddedTokens(field("added_tokens"), parts->normalizer.get(), parts->model, source);
    parts->post = PostProcessor(field("post_processor"), field("truncation"), field("padding"), source);
    parts->display = DisplayDecoder::from_json(field("decoder"));
    return std::unique_ptr<HfTokenizer>(new HfTokenizer(std::move(parts)));
  } catch (const json::exception& e) {
    throw FileError(source + " is malformed: " + e.what());
  }
}

int64_t HfTokenizer::max_id() const {
  return std::max({parts_->model.max_id(), parts_->added.max_id(), parts_->post.max_id()});
}

std::vector<Token> HfTokenizer::encode(const std::string& text) const {
  // 5. Special tokens around the text (BOS), after truncation.
  std::vector<Token> tokens = parts_->post.apply(encode_continuation(text));
  if (tokens.empty() && !text.empty()) {
    throw InputError("the prompt gives no tokens: every character is unknown to this tokenizer's vocabulary");
  }
  return tokens;
}

std::vector<Token> HfTokenizer::encode_continuation(const std::string& text) const {
  if (text.empty()) return {};  // as HF: no words, so only the post-processor's tokens
  const Parts& p = *parts_;

  // 1. Added tokens written in the raw text; 2. normalization of the rest, then the added tokens that match the
  // normalized text; 3. pre-tokenization into words. Pieces that are added tokens skip the later steps.
  std::vector<TextPiece> pieces = p.added.split(NormalizedText::from_input(text), false);
  std::vector<TextPiece> normalized;
  for (TextPiece& piece : pieces) {
    if (piece.added_id) {
      normalized.push_back(std::move(piece));
      continue;
    }
    if (p.normalizer) p.normalizer->normalize(piece.text);
    for (TextPiece& part : p.added.split(piece.text, true)) normalized.push_back(std::move(part));
  }
  std::vector<TextPiece> words;
  for (TextPiece& piece : normalized) {
    if (piece.added_id || !p.pre_tokenizer) {
      words.push_back(std::move(piece));
      continue;
    }
    for (NormalizedText& word : p.pre_tokenizer->split(std::move(piece.text))) {
      if (!word.empty()) words.push_back({std::move(word), std::nullopt});
    }
  }

  // 4. The model turns each word into tokens; spans come from the sources of the bytes each token covers.
  std::vector<Token> tokens;
  for (const TextPiece& word : words) {
    const std::string& s = word.text.text();
    if (word.added_id) {
      const AddedToken* added = p.added.find(*word.added_id);
      const ByteRange span = word.text.original_span(0, s.size());
      const std::string content = escape_for_display(added ? added->content : s);
      tokens.push_back({*word.added_id, content, span.begin, span.end, content});
      continue;
    }
    for (const BpeModel::Piece& piece : p.model.tokenize(s)) {
      const ByteRange span = word.text.original_span(piece.begin, piece.end);
      const std::optional<std::string> vocabulary = p.model.token_of(piece.id);
      tokens.push_back({piece.id, escape_for_display(p.display.bytes_of(s.substr(piece.begin, piece.end - piece.begin))),
                        span.begin, span.end, vocabulary ? escape_for_display(*vocabulary) : std::string()});
    }
  }
  return tokens;
}

}  // namespace diffscope
