// Reads the EOS ids that stop generation from generation_config.json / config.json. Any thread.
#include "generation_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "json_limits.h"

namespace diffscope {
namespace {

nlohmann::json parse_object(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = parse_limited_json(text, source);
  } catch (const FileError& e) {
    throw CheckpointError(e.what());
  }
  if (!j.is_object()) throw CheckpointError(source + ": not a JSON object");
  return j;
}

std::vector<int64_t> eos_field(const std::string& text, const std::string& source) {
  const nlohmann::json j = parse_object(text, source);
  auto it = j.find("eos_token_id");
  if (it == j.end() || it->is_null()) return {};
  auto bad = [&] {
    return CheckpointError(source + ": field \"eos_token_id\" must be a non-negative id or a list of them, found " +
                           describe_json(*it));
  };
  std::vector<int64_t> ids;
  if (it->is_number_integer()) {
    ids.push_back(it->get<int64_t>());
  } else if (it->is_array()) {
    for (const auto& v : *it) {
      if (!v.is_number_integer()) throw bad();
      ids.push_back(v.get<int64_t>());
    }
  } else {
    throw bad();
  }
  for (int64_t id : ids) {
    if (id < 0) throw bad();
  }
  return ids;
}

// The file's text, or "" when it does not exist.
std::string read_if_present(const std::string& path) {
  std::string text;
  if (!read_small_file(path, &text)) return "";
  if (text.empty()) throw CheckpointError(path + ": the file is empty");
  return text;
}

}  // namespace

SamplingDefaults parse_sampling_defaults(const std::string& generation_json, const std::string& dir) {
  SamplingDefaults d;
  if (generation_json.empty()) return d;
  const std::string source = dir + "/generation_config.json";
  const nlohmann::json j = parse_object(generation_json, source);
  auto field = [&](const char* key, auto fallback, auto is_type) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!is_type(*it)) throw CheckpointError(source + ": field \"" + key + "\" has the wrong type: " + describe_json(*it));
    return it->template get<decltype(fallback)>();
  };
  d.do_sample = field("do_sample", d.do_sample, [](const nlohmann::json& v) { return v.is_boolean(); });
  d.temperature = field("temperature", d.temperature, [](const nlohmann::json& v) { return v.is_number(); });
  d.top_k = field("top_k", d.top_k, [](const nlohmann::json& v) { return v.is_number_integer(); });
  d.top_p = field("top_p", d.top_p, [](const nlohmann::json& v) { return v.is_number(); });
  return d;
}

SamplingDefaults read_sampling_defaults(const std::string& dir) {
  return parse_sampling_defaults(read_if_present(dir + "/generation_config.json"), dir);
}

std::vector<int64_t> parse_eos_token_ids(const std::string& generation_json, const std::string& config_json,
                                         const std::string& dir) {
  if (!generation_json.empty()) return eos_field(generation_json, dir + "/generation_config.json");
  if (!config_json.empty()) return eos_field(config_json, dir + "/config.json");
  return {};
}

std::vector<int64_t> read_eos_token_ids(const std::string& dir) {
  return parse_eos_token_ids(read_if_present(dir + "/generation_config.json"), read_if_present(dir + "/config.json"),
                             dir);
}

}  // namespace diffscope
