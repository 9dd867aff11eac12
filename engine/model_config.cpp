// Parses HF config.json for llama / diffllama (both RoPE spellings: top-level rope_theta and rope_parameters). Any thread.
#include "model_config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"

namespace diffscope {
namespace {

using nlohmann::json;

class ConfigReader {
 public:
  ConfigReader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& what) const { throw CheckpointError(source_ + ": " + what); }

  int64_t integer(const char* key, const int64_t* fallback = nullptr) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (fallback) return *fallback;
      fail(std::string("required field \"") + key + "\" is missing");
    }
    if (!it->is_number_integer()) fail(std::string("field \"") + key + "\" must be an integer, found " + it->dump());
    return it->get<int64_t>();
  }
  int64_t positive(const char* key, const int64_t* fallback = nullptr) const {
    int64_t v = integer(key, fallback);
    if (v <= 0) fail(std::string("field \"") + key + "\" must be positive, found " + std::to_string(v));
    return v;
  }
  double number(const json& obj, const char* key, double fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(std::string("field \"") + key + "\" must be a number, found " + it->dump());
    return it->get<double>();
  }
  double number(const char* key, double fallback) const { return number(j_, key, fallback); }
  bool boolean(const char* key, bool fallback) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(std::string("field \"") + key + "\" must be true or false, found " + it->dump());
    return it->get<bool>();
  }
  std::string string(const json& obj, const char* key, const std::string& fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(std::string("field \"") + key + "\" must be a string, found " + it->dump());
    return it->get<std::string>();
  }
  std::string string(const char* key, const std::string& fallback) const { return string(j_, key, fallback); }
  const json& root() const { return j_; }

 private:
  const json& j_;
  std::string source_;
};

// RoPE base and type: transformers 5.x writes rope_parameters {rope_theta, rope_type}; older configs write rope_theta
// (and maybe rope_scaling) at the top level.
void read_rope(const ConfigReader& r, ModelConfig& c) {
  const json& j = r.root();
  std::string rope_type = "default";
  c.rope_theta = r.number("rope_theta", 10000.0);
  auto params = j.find("rope_parameters");
  if (params != j.end() && !params->is_null()) {
    if (!params->is_object()) r.fail("field \"rope_parameters\" must be an object, found " + params->dump());
    c.rope_theta = r.number(*params, "rope_theta", c.rope_theta);
    rope_type = r.string(*params, "rope_type", r.string(*params, "type", "default"));
  }
  auto scaling = j.find("rope_scaling");
  if (scaling != j.end() && scaling->is_object()) {
    rope_type = r.string(*scaling, "rope_type", r.string(*scaling, "type", rope_type));
  }
  if (rope_type != "default") {
    r.fail("rope_type \"" + rope_type + "\" is not supported yet (only the default RoPE is); remove the scaling or "
           "use a model without it");
  }
  if (!(c.rope_theta > 0)) r.fail("rope_theta must be positive, found " + std::to_string(c.rope_theta));
}

}  // namespace

double lambda_init_for_layer(int depth) { return 0.8 - 0.6 * std::exp(-0.3 * depth); }

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw FileError(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw FileError(source + ": expected a JSON object, found " + std::string(j.type_name()));
  ConfigReader r(j, source);

  ModelConfig c;
  c.model_type = r.string("model_type", "");
  if (c.model_type.empty()) r.fail("required field \"model_type\" is missing (expected \"llama\" or \"diffllama\")");
  if (c.model_type == "llama") {
    c.kind = AttentionKind::Standard;
  } else if (c.model_type == "diffllama") {
    c.kind = AttentionKind::Differential;
  } else {
    r.fail("unknown model_type \"" + c.model_type + "\": DiffScope loads \"llama\" and \"diffllama\" checkpoints");
  }
  std::string act = r.string("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act \"" + act + "\" is not supported (Llama-family models use \"silu\")");

  c.hidden_size = static_cast<int>(r.positive("hidden_size"));
  c.intermediate_size = static_cast<int>(r.positive("intermediate_size"));
  c.num_layers = static_cast<int>(r.positive("num_hidden_layers"));
  c.num_heads = static_cast<int>(r.positive("num_attention_heads"));
  const int64_t heads = c.num_heads;
  c.num_kv_heads = static_cast<int>(r.positive("num_key_value_heads", &heads));
  c.vocab_size = r.positive("vocab_size");
  const int64_t default_positions = 2048;
  c.max_positions = r.positive("max_position_embeddings", &default_positions);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.attention_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);

  if (c.hidden_size % c.num_heads != 0 && !j.contains("head_dim")) {
    r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
           std::to_string(c.num_heads) + " and no head_dim is given");
  }
  const int64_t default_head_dim = c.hidden_size / c.num_heads;
  c.head_dim = static_cast<int>(r.positive("head_dim", &default_head_dim));
  if (c.head_dim % 2 != 0) r.fail("head_dim " + std::to_string(c.head_dim) + " must be even for RoPE");
  if (c.num_heads % c.num_kv_heads != 0) {
    r.fail("num_attention_heads " + std::to_string(c.num_heads) + " is not a multiple of num_key_value_heads " +
           std::to_string(c.num_kv_heads));
  }
  if (c.kind == AttentionKind::Differential && (c.num_heads % 2 != 0 || c.num_kv_heads % 2 != 0)) {
    r.fail("diffllama needs an even num_attention_heads and num_key_value_heads (pairs j, j + H/2 and the two V "
           "halves), found " + std::to_string(c.num_heads) + " and " + std::to_string(c.num_kv_heads));
  }
  read_rope(r, c);
  return c;
}

ModelConfig read_model_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path + ": cannot open (is \"" + dir + "\" a HF model folder with a config.json?)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw FileError(path + ": read error");
  return parse_model_config(text.str(), path);
}

}  // namespace diffscope
