// The readers several families share (config_reader.h): RoPE in both spellings, layer_types, a window on every
// layer. Any thread.
#include "model/config_reader.h"

#include <cmath>

namespace diffscope {

using nlohmann::json;

// transformers 5.x writes rope_parameters {rope_theta, rope_type, scaling keys}; older configs write rope_theta and
// rope_scaling {rope_type or type, scaling keys} at the top level. The scaling keys are read from the object that named
// the type (rope_scaling wins when both name one, as it did before 5.x merged them).
void read_rope(const ConfigReader& r, ModelConfig& c) {
  const json& j = r.root();
  std::string rope_type = "default";
  const json* scaling_keys = nullptr;
  c.rope_theta = r.number("rope_theta", 10000.0);
  auto params = j.find("rope_parameters");
  if (params != j.end() && !params->is_null()) {
    if (!params->is_object()) r.fail("field \"rope_parameters\" must be an object, found " + describe_json(*params));
    c.rope_theta = r.number(*params, "rope_theta", c.rope_theta);
    rope_type = r.string(*params, "rope_type", r.string(*params, "type", "default"));
    scaling_keys = &*params;
  }
  auto scaling = j.find("rope_scaling");
  if (scaling != j.end() && scaling->is_object() && (scaling->contains("rope_type") || scaling->contains("type"))) {
    rope_type = r.string(*scaling, "rope_type", r.string(*scaling, "type", rope_type));
    scaling_keys = &*scaling;
  }
  if (!(c.rope_theta > 0)) r.fail("rope_theta must be positive, found " + std::to_string(c.rope_theta));
  c.rope_type = rope_type;
  if (rope_type == "default") return;
  if (rope_type != "llama3") {
    r.fail("rope_type \"" + rope_type + "\" is not supported (DiffScope implements the default RoPE and \"llama3\" "
           "scaling; linear, dynamic, yarn and longrope are not): use a model without it");
  }
  // HF's _validate_llama3_parameters requires all four keys; so do we, rather than guessing Llama 3.1's numbers.
  auto required = [&](const char* key) {
    auto it = scaling_keys->find(key);
    if (it == scaling_keys->end() || it->is_null()) {
      r.fail(std::string("rope_type \"llama3\" needs \"") + key + "\" next to it (factor, low_freq_factor, "
             "high_freq_factor, original_max_position_embeddings)");
    }
    return r.number(*scaling_keys, key, 0.0);
  };
  Llama3RopeScaling& s = c.llama3_rope;
  s.factor = required("factor");
  s.low_freq_factor = required("low_freq_factor");
  s.high_freq_factor = required("high_freq_factor");
  const double original = required("original_max_position_embeddings");
  if (!(s.factor >= 1.0)) r.fail("llama3 rope \"factor\" must be at least 1, found " + std::to_string(s.factor));
  if (!(s.low_freq_factor > 0)) {
    r.fail("llama3 rope \"low_freq_factor\" must be positive, found " + std::to_string(s.low_freq_factor));
  }
  if (!(s.high_freq_factor > s.low_freq_factor)) {
    r.fail("llama3 rope \"high_freq_factor\" (" + std::to_string(s.high_freq_factor) +
           ") must be larger than \"low_freq_factor\" (" + std::to_string(s.low_freq_factor) + ")");
  }
  if (!(original >= 1) || original != std::floor(original) || original > 1e12) {
    r.fail("llama3 rope \"original_max_position_embeddings\" must be a positive integer of at most 10^12, found " +
           std::to_string(original));
  }
  s.original_max_positions = static_cast<int64_t>(original);
}

std::optional<std::vector<bool>> read_layer_types(const ConfigReader& r, int num_layers) {
  const json& j = r.root();
  auto types = j.find("layer_types");
  if (types == j.end() || types->is_null()) return std::nullopt;
  if (!types->is_array() || types->size() != static_cast<size_t>(num_layers)) {
    r.fail("layer_types must list one type per layer (" + std::to_string(num_layers) + ")");
  }
  std::vector<bool> sliding(static_cast<size_t>(num_layers), false);
  for (size_t i = 0; i < types->size(); ++i) {
    const json& t = (*types)[i];
    if (!t.is_string() || (t != "sliding_attention" && t != "full_attention")) {
      r.fail("layer_types[" + std::to_string(i) + "] must be \"sliding_attention\" or \"full_attention\"");
    }
    sliding[i] = t == "sliding_attention";
  }
  return sliding;
}

void read_window_on_every_layer(const ConfigReader& r, ModelConfig& c, const int64_t* absent_default) {
  const json& j = r.root();
  auto w = j.find("sliding_window");
  if (w == j.end() && absent_default) {
    c.sliding_window = *absent_default;
    c.sliding_layers.assign(static_cast<size_t>(c.num_layers), true);
  } else if (w != j.end() && !w->is_null()) {
    c.sliding_window = r.positive("sliding_window", kMaxConfigWindow);
    c.sliding_layers.assign(static_cast<size_t>(c.num_layers), true);
  }
}

}  // namespace diffscope
