// The config.json field reader every family's reader uses (typed fields with HF's defaults, messages naming the file
// and the field) and the readers of what several families spell alike: RoPE, layer_types, a window on every layer.
// Plain C++; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "json_limits.h"
#include "model/model_config.h"

namespace diffscope {

// Bounds far above any real model, below where products of dimensions could overflow.
constexpr int64_t kMaxConfigWidth = int64_t{1} << 20;  // hidden_size, intermediate_size, head_dim
constexpr int64_t kMaxConfigCount = int64_t{1} << 16;  // layers, heads
constexpr int64_t kMaxConfigVocab = int64_t{1} << 31;  // vocab_size, positions
constexpr int64_t kMaxConfigWindow = int64_t{1} << 31;  // sliding_window

// One config.json's fields. Each getter returns the field, or `fallback` when it is absent or null (without one, a
// missing field is an error), and throws CheckpointError "<source>: ..." for a field of the wrong type or range.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& what) const { throw CheckpointError(source_ + ": " + what); }

  int64_t integer(const char* key, const int64_t* fallback = nullptr) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (fallback) return *fallback;
      fail(std::string("required field \"") + key + "\" is missing");
    }
    if (!it->is_number_integer()) fail(std::string("field \"") + key + "\" must be an integer, found " + describe_json(*it));
    return it->get<int64_t>();
  }
  // A positive integer of at most `max` (dimensions are checked before any arithmetic or narrowing to int).
  int64_t positive(const char* key, int64_t max, const int64_t* fallback = nullptr) const {
    auto it = j_.find(key);
    if (it != j_.end() && it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) {
      fail(std::string("field \"") + key + "\" must be at most " + std::to_string(max) + ", found " + describe_json(*it));
    }
    int64_t v = integer(key, fallback);
    if (v <= 0) fail(std::string("field \"") + key + "\" must be positive, found " + std::to_string(v));
    if (v > max) fail(std::string("field \"") + key + "\" must be at most " + std::to_string(max) + ", found " +
                      std::to_string(v));
    return v;
  }
  double number(const nlohmann::json& obj, const char* key, double fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(std::string("field \"") + key + "\" must be a number, found " + describe_json(*it));
    return it->get<double>();
  }
  double number(const char* key, double fallback) const { return number(j_, key, fallback); }
  bool boolean(const char* key, bool fallback) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(std::string("field \"") + key + "\" must be true or false, found " + describe_json(*it));
    return it->get<bool>();
  }
  std::string string(const nlohmann::json& obj, const char* key, const std::string& fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(std::string("field \"") + key + "\" must be a string, found " + describe_json(*it));
    return it->get<std::string>();
  }
  std::string string(const char* key, const std::string& fallback) const { return string(j_, key, fallback); }
  const nlohmann::json& root() const { return j_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

// RoPE base and type (rope_theta, rope_parameters, rope_scaling) into c.rope_theta, c.rope_type and c.llama3_rope:
// the default RoPE or "llama3" scaling; every other type is refused.
void read_rope(const ConfigReader& r, ModelConfig& c);

// layer_types, when the config has it: which of the c.num_layers layers are "sliding_attention" (the others
// "full_attention"); nullopt when it is absent.
std::optional<std::vector<bool>> read_layer_types(const ConfigReader& r, int num_layers);

// A window on every layer when sliding_window is set (Mistral, Phi-3: their modeling files mask all layers with it);
// `absent_default` (may be null: none) is the window of a config without the field; null means none.
void read_window_on_every_layer(const ConfigReader& r, ModelConfig& c, const int64_t* absent_default);

}  // namespace diffscope
