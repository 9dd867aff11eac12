// Added-token matching as HF tokenizers does it: leftmost-longest matches, then the single_word, lstrip and rstrip
// rules, cutting the text into plain pieces and whole added tokens. Any thread.
#include "tokenizer/hf_tokenizer_added.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "tokenizer/hf_tokenizer_bpe.h"
#include "tokenizer/hf_tokenizer_steps.h"
#include "tokenizer/hf_tokenizer_utf8.h"
#include "tokenizer/unicode_regex.h"

namespace diffscope {
namespace {

// The code point that ends s[0, end) (s is valid UTF-8, end > 0).
char32_t code_point_before(const std::string& s, size_t end) {
  size_t begin = end - 1;
  while (begin > 0 && (static_cast<unsigned char>(s[begin]) & 0xC0) == 0x80) --begin;
  return utf8::decode_at(s, begin);
}

}  // namespace

AddedTokens::AddedTokens(const nlohmann::json& added_tokens, const Normalizer* normalizer, const BpeModel& model,
                         const std::string& source) {
  if (added_tokens.is_null()) return;
  if (!added_tokens.is_array()) throw FileError(source + ": added_tokens is not a list");
  std::unordered_map<std::string, int64_t> new_ids;  // contents outside the vocabulary, in the order first seen
  for (const auto& entry : added_tokens) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("content") || !entry["content"].is_string()) {
      throw FileError(source + ": an added token lacks an integer id or a string content: " +
                      entry.dump().substr(0, 200));
    }
    AddedToken t;
    t.id = entry["id"].get<int64_t>();
    t.content = entry["content"].get<std::string>();
    const auto flag = [&](const char* key, bool fallback) {
      return entry.contains(key) && entry[key].is_boolean() ? entry[key].get<bool>() : fallback;
    };
    t.single_word = flag("single_word", false);
    t.lstrip = flag("lstrip", false);
    t.rstrip = flag("rstrip", false);
    t.normalized = flag("normalized", true);
    t.special = flag("special", false);
    if (t.content.empty()) continue;  // HF ignores empty added tokens
    // HF tokenizers 0.23 (AddedVocabulary::add_tokens) ignores the written id and warns when it differs.
    if (const std::optional<int64_t> vocab_id = model.id_of(t.content)) {
      t.id = *vocab_id;
    } else {
      t.id = new_ids.emplace(t.content, static_cast<int64_t>(model.size() + new_ids.size())).first->second;
    }
    tokens_.push_back(t);
  }
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    if (!t.normalized) {
      raw_patterns_.push_back({t.content, i});
      continue;
    }
    // A normalized token is looked for in normalized text, so its content is normalized the same way first.
    std::string pattern = t.content;
    if (normalizer) {
      NormalizedText n = NormalizedText::from_input(t.content);
      normalizer->normalize(n);
      pattern = n.text();
    }
    if (!pattern.empty()) normalized_patterns_.push_back({pattern, i});
  }
  const auto longest_first = [](const Pattern& a, const Pattern& b) { return a.text.size() > b.text.size(); };
  std::stable_sort(raw_patterns_.begin(), raw_patterns_.end(), longest_first);
  std::stable_sort(normalized_patterns_.begin(), normalized_patterns_.end(), longest_first);
  for (size_t i = 0; i < raw_patterns_.size(); ++i) raw_trie_.add(raw_patterns_[i].text, i);
  for (size_t i = 0; i < normalized_patterns_.size(); ++i) normalized_trie_.add(normalized_patterns_[i].text, i);
}

void AddedTokens::PatternTrie::add(const std::string& text, size_t pattern) {
  uint32_t node = 0;
  for (unsigned char byte : text) {
    const uint64_t key = static_cast<uint64_t>(node) << 8 | byte;
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      it = edges_.emplace(key, static_cast<uint32_t>(ends_.size())).first;
      ends_.push_back(-1);
    }
    node = it->second;
  }
  if (ends_[node] < 0) ends_[node] = static_cast<int64_t>(pattern);
}

int64_t AddedTokens::PatternTrie::longest_at(const std::string& s, size_t at) const {
  int64_t found = -1;
  uint32_t node = 0;
  for (size_t i = at; i < s.size(); ++i) {
    const auto it = edges_.find(static_cast<uint64_t>(node) << 8 | static_cast<unsigned char>(s[i]));
    if (it == edges_.end()) break;
    node = it->second;
    if (ends_[node] >= 0) found = ends_[node];
  }
  return found;
}

const AddedToken* AddedTokens::find(int64_t id) const {
  for (const AddedToken& t : tokens_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

int64_t AddedTokens::max_id() const {
  int64_t m = -1;
  for (const AddedToken& t : tokens_) m = std::max(m, t.id);
  return m;
}

std::vector<TextPiece> AddedTokens::split(const NormalizedText& text, bool normalized) const {
  const auto& patterns = normalized ? normalized_patterns_ : raw_patterns_;
  const std::string& s = text.text();
  struct Hit {
    size_t begin, end, token;
  };
  // Leftmost-longest, non-overlapping (as HF's Aho-Corasick scan): a hit that the rules below reject still
  // consumes its bytes.
  std::vector<Hit> hits;
  const PatternTrie& trie = normalized ? normalized_trie_ : raw_trie_;
  if (!trie.empty()) {
    for (size_t i = 0; i < s.size();) {
      const int64_t found = trie.longest_at(s, i);
      if (found < 0) {
        ++i;
        continue;
      }
      const Pattern& hit = patterns[static_cast<size_t>(found)];
      hits.push_back({i, i + hit.text.size(), hit.token});
      i += hit.text.size();
    }
  }

  struct Cut {
    size_t begin, end;
    std::optional<int64_t> id;
  };
  std::vector<Cut> cuts;
  size_t start_offset = 0;
  for (const Hit& h : hits) {
    const AddedToken& t = tokens_[h.token];
    size_t start = h.begin, stop = h.end;
    if (t.single_word) {
      const bool space_before = start == 0 || !is_unicode_word(code_point_before(s, start));
      const bool space_after = stop == s.size() || !is_unicode_word(utf8::decode_at(s, stop));
      if (!space_before || !space_after) continue;
    }
    if (t.lstrip) {
      size_t new_start = start;
      while (new_start > 0 && is_unicode_whitespace(code_point_before(s, new_start))) {
        new_start -= utf8::encoded_length(code_point_before(s, new_start));
      }
      start = std::max(new_start, start_offset);
    }
    if (t.rstrip) {
      while (stop < s.size() && is_unicode_whitespace(utf8::decode_at(s, stop))) {
        stop += utf8::sequence_length(static_cast<unsigned char>(s[stop]));
      }
    }
    if (start_offset < start) cuts.push_back({start_offset, start, std::nullopt});
    cuts.push_back({start, stop, t.id});
    start_offset = stop;
  }
  if (start_offset < s.size()) cuts.push_back({start_offset, s.size(), std::nullopt});

  std::vector<TextPiece> pieces;
  for (const Cut& c : cuts) {
    if (c.begin >= c.end) continue;
    pieces.push_back({text.slice(c.begin, c.end), c.id});
  }
  return pieces;
}

}  // namespace diffscope
