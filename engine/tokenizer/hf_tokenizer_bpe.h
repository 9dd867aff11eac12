// The BPE model of an HF tokenizer.json: vocabulary, ranked merges, unknown-token and byte-fallback rules; turns one
// pre-tokenized word into ids with their byte ranges in the word. Any thread (immutable after construction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace diffscope {

class BpeModel {
 public:
  // From tokenizer.json's "model" object. Throws FileError when it is malformed (a merge naming a token that is not
  // in the vocabulary, a missing unk token) and EngineError for options DiffScope does not support (dropout).
  static BpeModel from_json(const nlohmann::json& model, const std::string& source);

  struct Piece {
    int64_t id;
    size_t begin;  // byte range in the word
    size_t end;
  };
  std::vector<Piece> tokenize(const std::string& word) const;

  std::optional<int64_t> id_of(const std::string& token) const;
  // The vocabulary entry of `id` (a linear search: for printing generated tokens, not for encoding).
  std::optional<std::string> token_of(int64_t id) const;
  int64_t max_id() const { return max_id_; }
  // The number of vocabulary entries (HF's vocabulary size; less than max_id() + 1 where ids have gaps).
  size_t size() const { return vocab_.size(); }

 private:
  struct Merge {
    uint32_t rank;
    int64_t new_id;
  };
  static uint64_t pair_key(int64_t a, int64_t b) {
    return (static_cast<uint64_t>(a) << 32) | static_cast<uint64_t>(static_cast<uint32_t>(b));
  }
  struct Symbol {
    int64_t id;
    int64_t prev;  // index of the neighbours still alive, -1 at the ends
    int64_t next;
    size_t len;    // bytes of the word it covers; 0 once merged into its left neighbour
  };
  void merge_all(std::vector<Symbol>& symbols) const;

  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<std::string> unk_token_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  int64_t max_id_ = -1;
  std::vector<int64_t> byte_ids_;  // id of "<0xNN>" for each byte, -1 when absent (byte_fallback)
};

}  // namespace diffscope
