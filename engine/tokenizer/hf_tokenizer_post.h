// The post-processing of an HF tokenizer.json for a single sequence: truncation, then the special tokens its
// TemplateProcessing adds around the text (BOS for Llama). Any thread (immutable after construction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snapshot.h"

namespace diffscope {

class PostProcessor {
 public:
  PostProcessor() = default;
  // From tokenizer.json's "post_processor", "truncation" and "padding". Throws EngineError for what DiffScope does
  // not support (other processors, fixed-length padding).
  PostProcessor(const nlohmann::json& post_processor, const nlohmann::json& truncation, const nlohmann::json& padding,
                const std::string& source);

  std::vector<Token> apply(std::vector<Token> tokens) const;
  int64_t max_id() const;

 private:
  struct Part {
    bool is_sequence = false;
    std::vector<int64_t> ids;          // special tokens inserted here
    std::vector<std::string> names;
  };
  using Template = std::vector<Part>;
  void add_processor(const nlohmann::json& spec, const std::string& source);
  size_t added_count() const;

  std::vector<Template> templates_;  // applied in order
  std::optional<size_t> max_length_;
  bool truncate_left_ = false;
};

}  // namespace diffscope
