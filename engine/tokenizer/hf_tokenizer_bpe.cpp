// BPE as HF tokenizers applies it: characters (or their <0xNN> bytes) become symbols, then the lowest-ranked merge
// of two neighbours is applied until none is left (leftmost first among equal ranks). Any thread.
#include "tokenizer/hf_tokenizer_bpe.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "tokenizer/hf_tokenizer_utf8.h"

namespace diffscope {
namespace {

std::pair<std::string, std::string> parse_merge(const nlohmann::json& merge, size_t rank, const std::string& source) {
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  }
  if (merge.is_string()) {
    const std::string line = merge.get<std::string>();
    const size_t space = line.find(' ');
    if (space != std::string::npos && line.find(' ', space + 1) == std::string::npos) {
      return {line.substr(0, space), line.substr(space + 1)};
    }
  }
  throw FileError(source + ": BPE merge " + std::to_string(rank + 1) + " is neither \"a b\" nor [\"a\", \"b\"]: " +
                  merge.dump());
}

}  // namespace

BpeModel BpeModel::from_json(const nlohmann::json& model, const std::string& source) {
  BpeModel bpe;
  if (model.contains("dropout") && model["dropout"].is_number() && model["dropout"].get<double>() > 0.0) {
    throw EngineError(source + ": BPE dropout (random merges) is not supported: ids would change from run to run");
  }
  const auto optional_string = [&](const char* key) -> std::optional<std::string> {
    if (!model.contains(key) || model[key].is_null()) return std::nullopt;
    if (!model[key].is_string()) throw FileError(source + ": model." + key + " is not a string");
    return model[key].get<std::string>();
  };
  const auto flag = [&](const char* key) {
    return model.contains(key) && model[key].is_boolean() && model[key].get<bool>();
  };
  bpe.unk_token_ = optional_string("unk_token");
  bpe.continuing_subword_prefix_ = optional_string("continuing_subword_prefix").value_or("");
  bpe.end_of_word_suffix_ = optional_string("end_of_word_suffix").value_or("");
  bpe.fuse_unk_ = flag("fuse_unk");
  bpe.byte_fallback_ = flag("byte_fallback");
  bpe.ignore_merges_ = flag("ignore_merges");

  if (!model.contains("vocab") || !model["vocab"].is_object()) throw FileError(source + ": model.vocab is missing");
  if (!model.contains("merges") || !model["merges"].is_array()) throw FileError(source + ": model.merges is missing");
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) {
      throw FileError(source + ": vocabulary entry \"" + token + "\" has no valid id");
    }
    bpe.vocab_[token] = id.get<int64_t>();
    bpe.max_id_ = std::max(bpe.max_id_, id.get<int64_t>());
  }
  const auto lookup = [&](const std::string& token, size_t rank) {
    const auto it = bpe.vocab_.find(token);
    if (it == bpe.vocab_.end()) {
      throw FileError(source + ": BPE merge " + std::to_string(rank + 1) + " uses \"" + token +
                      "\", which is not in the vocabulary");
    }
    return it->second;
  };
  const size_t prefix_len = bpe.continuing_subword_prefix_.size();
  size_t rank = 0;
  for (const auto& merge : model["merges"]) {
    if (merge.is_string() && merge.get<std::string>().rfind("#version", 0) == 0) continue;  // merges.txt header
    const auto [a, b] = parse_merge(merge, rank, source);
    const int64_t a_id = lookup(a, rank);
    const int64_t b_id = lookup(b, rank);
    if (b.size() < prefix_len) throw FileError(source + ": BPE merge " + std::to_string(rank + 1) + " is too short");
    // The right part loses its continuing-subword prefix when joined (HF strips it without checking it is there).
    const int64_t new_id = lookup(a + b.substr(prefix_len), rank);
    bpe.merges_[pair_key(a_id, b_id)] = Merge{static_cast<uint32_t>(rank), new_id};
    ++rank;
  }
  if (bpe.byte_fallback_) {
    bpe.byte_ids_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      if (const auto id = bpe.id_of(name)) bpe.byte_ids_[static_cast<size_t>(b)] = *id;
    }
  }
  return bpe;
}

std::optional<std::string> BpeModel::token_of(int64_t id) const {
  for (const auto& [token, token_id] : vocab_) {
    if (token_id == id) return token;
  }
  return std::nullopt;
}

std::optional<int64_t> BpeModel::id_of(const std::string& token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::vector<BpeModel::Piece> BpeModel::tokenize(const std::string& word) const {
  if (word.empty()) return {};
  if (ignore_merges_) {
    if (const auto id = id_of(word)) return {{*id, 0, word.size()}};
  }
  std::vector<Symbol> symbols;
  const auto add = [&](int64_t id, size_t len) {
    const int64_t index = static_cast<int64_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, len});
    if (index > 0) symbols[static_cast<size_t>(index - 1)].next = index;
  };
  // An unknown run waiting to be added (fused with the next unknown characters when fuse_unk is on).
  struct PendingUnk {
    bool waiting = false;
    int64_t id = 0;
    size_t len = 0;
  } pending_unk;
  const auto unk_id = [&]() {
    const auto id = id_of(*unk_token_);
    if (!id) throw FileError("tokenizer.json: the unk_token \"" + *unk_token_ + "\" is not in the vocabulary");
    return *id;
  };
  for (size_t i = 0; i < word.size();) {
    const size_t len = utf8::sequence_length(static_cast<unsigned char>(word[i]));
    std::string symbol = word.substr(i, len);
    if (i > 0) symbol = continuing_subword_prefix_ + symbol;
    if (i + len >= word.size()) symbol += end_of_word_suffix_;
    i += len;
    if (const auto id = id_of(symbol)) {
      if (pending_unk.waiting) {
        add(pending_unk.id, pending_unk.len);
        pending_unk.waiting = false;
      }
      add(*id, len);
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes_known = true;
      for (unsigned char b : symbol) all_bytes_known = all_bytes_known && byte_ids_[b] >= 0;
      if (all_bytes_known) {
        // As in HF, each byte symbol covers one byte (of the symbol, which is the character when no affix is set).
        for (unsigned char b : symbol) add(byte_ids_[b], 1);
        continue;
      }
    }
    if (unk_token_) {
      if (pending_unk.waiting && fuse_unk_) {
        pending_unk.len += len;
      } else {
        if (pending_unk.waiting) add(pending_unk.id, pending_unk.len);
        pending_unk = {true, unk_id(), len};
      }
    }
    // Without unk_token nor byte fallback HF drops the character; so does DiffScope, to give the same ids.
  }
  if (pending_unk.waiting) add(pending_unk.id, pending_unk.len);

  merge_all(symbols);

  // Byte-fallback symbols of a character with a continuing-subword prefix or an end-of-word suffix count the affix's
  // bytes too (HF emits those byte ids, so the ids must stay), which would put offsets past the word: clip them to it.
  std::vector<Piece> pieces;
  size_t offset = 0;
  for (const Symbol& s : symbols) {
    if (s.len == 0) continue;
    pieces.push_back({s.id, std::min(offset, word.size()), std::min(offset + s.len, word.size())});
    offset += s.len;
  }
  return pieces;
}

void BpeModel::merge_all(std::vector<Symbol>& symbols) const {
  struct Candidate {
    uint32_t rank;
    size_t pos;
    int64_t new_id;
    // std::priority_queue pops the largest: make the lowest rank, then the leftmost position, the largest.
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate> queue;
  const auto consider = [&](size_t left, size_t right) {
    const auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.new_id});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) consider(i, i + 1);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next < 0) continue;
    const size_t right_pos = static_cast<size_t>(left.next);
    const Symbol right = symbols[right_pos];
    // Skip entries made stale by an earlier merge of either symbol.
    const auto it = merges_.find(pair_key(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;
    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    symbols[right_pos].len = 0;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = static_cast<int64_t>(top.pos);
    if (left.prev >= 0) consider(static_cast<size_t>(left.prev), top.pos);
    if (left.next >= 0) consider(top.pos, static_cast<size_t>(left.next));
  }
}

}  // namespace diffscope
