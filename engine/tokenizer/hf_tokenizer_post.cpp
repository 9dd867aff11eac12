// TemplateProcessing (and the ByteLevel and Sequence processors around it) and truncation for one sequence, as
// HF tokenizers applies them with add_special_tokens=True. Any thread.
#include "tokenizer/hf_tokenizer_post.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "tokenizer.h"

namespace diffscope {

using json = nlohmann::json;

PostProcessor::PostProcessor(const json& post_processor, const json& truncation, const json& padding,
                             const std::string& source) {
  if (!post_processor.is_null()) add_processor(post_processor, source);
  if (truncation.is_object()) {
    if (!truncation.contains("max_length") || !truncation["max_length"].is_number_unsigned()) {
      throw FileError(source + ": truncation has no max_length");
    }
    max_length_ = truncation["max_length"].get<size_t>();
    truncate_left_ = truncation.value("direction", std::string("Right")) == "Left";
  }
  if (padding.is_object()) {
    // One sequence padded to the longest of its batch is unchanged; a fixed length or a multiple would add pads.
    const json& strategy = padding.contains("strategy") ? padding["strategy"] : json("BatchLongest");
    const bool batch_longest = strategy.is_string() && strategy.get<std::string>() == "BatchLongest";
    const bool multiple = padding.contains("pad_to_multiple_of") && !padding["pad_to_multiple_of"].is_null();
    if (!batch_longest || multiple) {
      throw EngineError(source + ": tokenizer.json padding to a fixed length or multiple is not supported "
                        "(DiffScope shows the prompt's tokens unpadded); set \"padding\": null");
    }
  }
}

void PostProcessor::add_processor(const json& spec, const std::string& source) {
  const std::string type = spec.value("type", std::string());
  if (type == "Sequence") {
    for (const auto& p : spec.value("processors", json::array())) add_processor(p, source);
    return;
  }
  if (type == "ByteLevel") return;  // changes offsets only (trim_offsets), which DiffScope keeps whole
  if (type != "TemplateProcessing") {
    throw EngineError(source + ": tokenizer.json post_processor \"" + type +
                      "\" is not supported (DiffScope supports TemplateProcessing, ByteLevel and Sequence)");
  }
  const json specials = spec.value("special_tokens", json::object());
  Template t;
  for (const auto& piece : spec.value("single", json::array())) {
    Part part;
    if (piece.contains("Sequence")) {
      if (piece["Sequence"].value("id", std::string("A")) != "A") {
        throw FileError(source + ": TemplateProcessing's single template uses sequence B");
      }
      part.is_sequence = true;
    } else if (piece.contains("SpecialToken")) {
      const std::string name = piece["SpecialToken"].value("id", std::string());
      if (!specials.contains(name)) {
        throw FileError(source + ": TemplateProcessing uses special token \"" + name + "\" but does not define it");
      }
      const json& special = specials[name];
      for (const auto& id : special.value("ids", json::array())) part.ids.push_back(id.get<int64_t>());
      for (const auto& token : special.value("tokens", json::array())) part.names.push_back(token.get<std::string>());
      part.names.resize(part.ids.size(), name);
    } else {
      throw FileError(source + ": TemplateProcessing piece is neither Sequence nor SpecialToken: " + piece.dump());
    }
    t.push_back(std::move(part));
  }
  templates_.push_back(std::move(t));
}

size_t PostProcessor::added_count() const {
  size_t n = 0;
  for (const Template& t : templates_) {
    for (const Part& p : t) n += p.ids.size();
  }
  return n;
}

std::vector<Token> PostProcessor::apply(std::vector<Token> tokens) const {
  if (max_length_) {
    // The room left once the special tokens are in (HF truncates before adding them).
    const size_t added = added_count();
    const size_t keep = *max_length_ > added ? *max_length_ - added : 0;
    if (tokens.size() > keep) {
      if (truncate_left_) tokens.erase(tokens.begin(), tokens.end() - static_cast<std::ptrdiff_t>(keep));
      else tokens.resize(keep);
    }
  }
  for (const Template& t : templates_) {
    std::vector<Token> out;
    for (const Part& part : t) {
      if (part.is_sequence) {
        out.insert(out.end(), tokens.begin(), tokens.end());
        continue;
      }
      for (size_t i = 0; i < part.ids.size(); ++i) {
        Token special;
        special.id = part.ids[i];
        special.text = escape_for_display(part.names[i]);
        special.piece = special.text;  // a special token's name is its vocabulary string
        special.byte_begin = special.byte_end = 0;  // inserted, not from the prompt
        out.push_back(std::move(special));
      }
    }
    tokens = std::move(out);
  }
  return tokens;
}

int64_t PostProcessor::max_id() const {
  int64_t m = -1;
  for (const Template& t : templates_) {
    for (const Part& p : t) {
      for (int64_t id : p.ids) m = std::max(m, id);
    }
  }
  return m;
}

}  // namespace diffscope
