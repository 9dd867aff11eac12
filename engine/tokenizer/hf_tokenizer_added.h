// The added tokens of an HF tokenizer.json (special ones like <s> and <|begin_of_text|>, and plain added words):
// found in the text before pre-tokenization, each kept whole as one token. Any thread (immutable after construction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/hf_tokenizer_normalized.h"

namespace diffscope {

class BpeModel;
class Normalizer;

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool single_word = false;  // only where no word character touches it
  bool lstrip = false;       // takes the whitespace before it
  bool rstrip = false;       // takes the whitespace after it
  bool normalized = true;    // matched in the normalized text (else in the raw text)
  bool special = false;
};

// A piece of text, and the added token it is when it is one.
struct TextPiece {
  NormalizedText text;
  std::optional<int64_t> added_id;
};

class AddedTokens {
 public:
  AddedTokens() = default;
  // `normalizer` (may be null) rewrites the contents of normalized tokens into what they match. Ids are numbered as
  // HF tokenizers numbers them, not taken from the file: a content in `model`'s vocabulary has that entry's id, any
  // other content the next id after the vocabulary's entry count (the same for a repeated content). A file HF wrote
  // itself has those ids already; a file edited by hand may not (HF only warns, and so gives other ids).
  AddedTokens(const nlohmann::json& added_tokens, const Normalizer* normalizer, const BpeModel& model,
              const std::string& source);

  // Cuts `text` at the added tokens of one kind: those matched in the raw text (normalized == false) or those
  // matched after normalization. Empty pieces are dropped.
  std::vector<TextPiece> split(const NormalizedText& text, bool normalized) const;

  const AddedToken* find(int64_t id) const;
  int64_t max_id() const;

 private:
  struct Pattern {
    std::string text;
    size_t token;  // index in tokens_
  };
  // The patterns of one kind in a byte trie, so the longest one starting at a position is found in time bounded by
  // the longest pattern, not the number of patterns (100,000 added tokens took 8.8 s on a 20,000-character prompt).
  class PatternTrie {
   public:
    void add(const std::string& text, size_t pattern);  // the first pattern added for a text keeps it
    // The longest pattern that `s` has at `at`: its index, or -1.
    int64_t longest_at(const std::string& s, size_t at) const;
    bool empty() const { return ends_.size() <= 1; }

   private:
    std::unordered_map<uint64_t, uint32_t> edges_;  // (node << 8 | byte) -> child node
    std::vector<int64_t> ends_{-1};                 // per node: the pattern ending there, or -1 (node 0: the root)
  };
  std::vector<AddedToken> tokens_;
  std::vector<Pattern> raw_patterns_;         // longest first
  std::vector<Pattern> normalized_patterns_;  // longest first
  PatternTrie raw_trie_, normalized_trie_;
};

}  // namespace diffscope
