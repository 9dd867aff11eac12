// Parses HF config.json for llama / diffllama (both RoPE spellings: top-level rope_theta and rope_parameters; llama3
// RoPE scaling; the diff_variant marker of Diff V2) and the standard families (gpt2, qwen2, qwen3, mistral, olmo2,
// phi3, gemma3_text), and computes RoPE inverse frequencies. Any thread.
#include "model_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "json_limits.h"

namespace diffscope {

namespace {

constexpr const char* kSupportedTypes =
    "\"llama\", \"diffllama\", \"gpt2\", \"qwen2\", \"qwen3\", \"mistral\", \"olmo2\", \"phi3\", \"gemma2\" and "
    "\"gemma3_text\"";

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
  double number(const json& obj, const char* key, double fallback) const {
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
  std::string string(const json& obj, const char* key, const std::string& fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(std::string("field \"") + key + "\" must be a string, found " + describe_json(*it));
    return it->get<std::string>();
  }
  std::string string(const char* key, const std::string& fallback) const { return string(j_, key, fallback); }
  const json& root() const { return j_; }

 private:
  const json& j_;
  std::string source_;
};

// RoPE base and type: transformers 5.x writes rope_parameters {rope_theta, rope_type, scaling keys}; older configs
// write rope_theta and rope_scaling {rope_type or type, scaling keys} at the top level. The scaling keys are read from
// the object that named the type (rope_scaling wins when both name one, as it did before 5.x merged them).
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

// "diff_variant": absent or "v1" -> HF DiffLlama; "v2" -> Differential Transformer V2. Only diffllama configs may name
// one, so a stray field on a llama config is not silently ignored.
void read_diff_variant(const ConfigReader& r, ModelConfig& c) {
  const std::string variant = r.string("diff_variant", "");
  if (variant.empty()) return;
  if (c.kind != AttentionKind::Differential) {
    r.fail("field \"diff_variant\" is only meaningful with model_type \"diffllama\", found model_type \"" +
           c.model_type + "\"");
  }
  if (variant == "v1") {
    c.diff_variant = DiffVariant::V1;
  } else if (variant == "v2") {
    c.diff_variant = DiffVariant::V2;
  } else {
    r.fail("diff_variant \"" + variant + "\" is unknown: use \"v1\" (HF DiffLlama, the default) or \"v2\" "
           "(Differential Transformer V2)");
  }
}

// Qwen 2 / 3 (Qwen2Config.__post_init__): sliding_window counts only with use_sliding_window; the sliding layers are
// layer_types' "sliding_attention" ones, or without layer_types those from max_window_layers on.
// layer_types, when the config has it: which layers are "sliding_attention" (the others "full_attention").
std::optional<std::vector<bool>> read_layer_types(const ConfigReader& r, const json& j, int num_layers) {
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

void read_qwen_windows(const ConfigReader& r, const json& j, ModelConfig& c) {
  const bool use = r.boolean("use_sliding_window", false);
  std::vector<bool> sliding(static_cast<size_t>(c.num_layers), false);
  if (auto types = read_layer_types(r, j, c.num_layers)) {
    sliding = std::move(*types);
  } else if (use) {
    const int64_t default_layers = 28;
    const int64_t from = r.integer("max_window_layers", &default_layers);
    for (int64_t i = std::max<int64_t>(from, 0); i < c.num_layers; ++i) sliding[static_cast<size_t>(i)] = true;
  }
  if (std::find(sliding.begin(), sliding.end(), true) == sliding.end()) return;  // no layer slides
  if (!use) {
    r.fail("layer_types names \"sliding_attention\" layers but use_sliding_window is false, so transformers has no "
           "window for them (it cannot build their mask): set use_sliding_window to true (with the sliding_window the "
           "checkpoint was trained with) or name those layers \"full_attention\"");
  }
  auto w = j.find("sliding_window");
  if (w != j.end() && w->is_null()) {
    r.fail("use_sliding_window is true but sliding_window is null: set the window the checkpoint was trained with");
  }
  const int64_t default_window = 4096;  // Qwen2Config's
  c.sliding_window = r.positive("sliding_window", int64_t{1} << 31, &default_window);
  c.sliding_layers = std::move(sliding);
}

// The switches of the standard families beside Llama (transformers 5.17's modeling files): which projections have
// biases, q/k norms, OLMo 2's norm placement, and sliding windows.
void read_family(const ConfigReader& r, const json& j, ModelConfig& c) {
  c.qkv_bias = c.attention_bias;
  c.o_bias = c.attention_bias;
  if (c.model_type == "qwen2") {  // Qwen2Attention: q/k/v always with a bias, o_proj never
    c.qkv_bias = true;
    c.o_bias = false;
  }
  if (c.model_type == "qwen3") c.qk_norm = QkNorm::PerHead;
  if (c.model_type == "olmo2") {
    c.qk_norm = QkNorm::WholeProjection;
    c.post_norms = true;
    c.norm_weight_first = true;
  }
  if (c.mlp_bias && c.model_type != "llama") r.fail("mlp_bias is only read for llama; " + c.model_type + " has none");
  // Sliding windows (HF's sliding_window_overlay: query i sees key j only when i - W < j <= i). Mistral and Phi-3:
  // every layer when sliding_window is set (their modeling files mask all layers with it; Mistral ignores
  // layer_types). MistralConfig's window when the field is absent is 4096; Phi3Config's is none.
  if (c.model_type == "mistral" || c.model_type == "phi3") {
    auto w = j.find("sliding_window");
    const int64_t mistral_default = 4096;
    if (w == j.end() && c.model_type == "mistral") {
      c.sliding_window = mistral_default;
      c.sliding_layers.assign(static_cast<size_t>(c.num_layers), true);
    } else if (w != j.end() && !w->is_null()) {
      c.sliding_window = r.positive("sliding_window", int64_t{1} << 31);
      c.sliding_layers.assign(static_cast<size_t>(c.num_layers), true);
    }
  }
  if (c.model_type == "phi3") c.fused_projections = true;
  if (c.model_type == "qwen2" || c.model_type == "qwen3") read_qwen_windows(r, j, c);
  auto types = j.find("layer_types");
  if (types != j.end() && types->is_array()) {
    for (const json& t : *types) {
      if (t.is_string() && t.get<std::string>() == "sliding_attention" && c.model_type != "mistral" &&
          c.model_type != "phi3" && c.model_type != "gemma3_text" && c.model_type != "gemma2" &&
          c.model_type != "qwen2" && c.model_type != "qwen3") {
        r.fail("layer_types names \"sliding_attention\" layers: sliding-window attention is not implemented for " +
               c.model_type);
      }
    }
  }
}

// GPT-2 (transformers' GPT2Config names: n_embd, n_head, n_layer, n_positions, n_inner, layer_norm_epsilon,
// activation_function). Every projection and norm has a bias; the LM head is the token embedding.
void read_gpt2(const ConfigReader& r, ModelConfig& c, int64_t max_width, int64_t max_count, int64_t max_vocab) {
  c.architecture = Architecture::Gpt2;
  c.kind = AttentionKind::Standard;
  c.hidden_size = static_cast<int>(r.positive("n_embd", max_width));
  c.num_heads = static_cast<int>(r.positive("n_head", max_count));
  c.num_kv_heads = c.num_heads;
  c.num_layers = static_cast<int>(r.positive("n_layer", max_count));
  c.vocab_size = r.positive("vocab_size", max_vocab);
  c.max_positions = r.positive("n_positions", max_vocab);
  const int64_t four_wide = int64_t{4} * c.hidden_size;
  c.intermediate_size = static_cast<int>(r.positive("n_inner", max_width * 4, &four_wide));
  c.rms_norm_eps = r.number("layer_norm_epsilon", 1e-5);
  if (!(c.rms_norm_eps > 0) || c.rms_norm_eps > 1) r.fail("layer_norm_epsilon must be in (0, 1]");
  if (c.hidden_size % c.num_heads != 0) {
    r.fail("n_embd " + std::to_string(c.hidden_size) + " is not divisible by n_head " + std::to_string(c.num_heads));
  }
  c.head_dim = c.hidden_size / c.num_heads;
  const std::string act = r.string("activation_function", "gelu_new");
  if (act == "gelu_new" || act == "gelu_pytorch_tanh") {
    c.gelu_tanh = true;
  } else if (act == "gelu") {
    c.gelu_tanh = false;
  } else {
    r.fail("activation_function \"" + act + "\" is not supported for gpt2 (\"gelu_new\", \"gelu_pytorch_tanh\" and "
           "\"gelu\" are)");
  }
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  if (!c.tie_word_embeddings) r.fail("tie_word_embeddings false: GPT-2's LM head is its token embedding");
  if (!r.boolean("scale_attn_weights", true)) {
    r.fail("scale_attn_weights false is not implemented (scores are divided by sqrt(head_dim))");
  }
  if (r.boolean("scale_attn_by_inverse_layer_idx", false)) {
    r.fail("scale_attn_by_inverse_layer_idx is not implemented (it divides each layer's scores by its depth)");
  }
  // reorder_and_upcast_attn computes the scores in float32: the same values up to the compute dtype's rounding, which
  // an f32 run does not have.
  c.qkv_bias = c.o_bias = c.attention_bias = c.mlp_bias = true;
}

// A soft cap that HF applies with `fallback` when the field is absent and not at all when it is null.
double soft_cap(const ConfigReader& r, const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  if (it != j.end() && it->is_null()) return 0.0;
  const double cap = r.number(key, fallback);
  if (cap < 0) r.fail(std::string(key) + " must not be negative");
  return cap;
}

// What Gemma 2 and Gemma 3 read alike, with their config classes' defaults: (1 + weight) RMSNorm before and after
// attention and the MLP, embeddings scaled, GeGLU, scores times query_pre_attn_scalar^-1/2, the two soft caps, and
// layer types: layer_types, else layer i slides when (i + 1) % pattern != 0, with one sliding_window (default 4096).
struct GemmaDefaults {
  const char* family;
  double query_scalar;
  double attn_cap, final_cap;
  int64_t pattern;
  bool pattern_field;     // sliding_window_pattern overrides `pattern` (Gemma 3)
  bool hidden_act_alias;  // hidden_act names the activation when hidden_activation is absent (Gemma 2)
};

void read_gemma_common(const ConfigReader& r, const json& j, ModelConfig& c, const GemmaDefaults& d) {
  c.norm_plus_one = c.post_norms = c.sandwich_norms = c.embed_scaled = c.gelu_gate = true;
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  const std::string act = r.string("hidden_activation", d.hidden_act_alias ? r.string("hidden_act", "gelu_pytorch_tanh")
                                                                           : std::string("gelu_pytorch_tanh"));
  if (act != "gelu_pytorch_tanh" && act != "gelu_new") {
    r.fail("hidden_activation \"" + act + "\" is not supported for " + d.family + " (\"gelu_pytorch_tanh\" is)");
  }
  const double query_scalar = r.number("query_pre_attn_scalar", d.query_scalar);
  if (!(query_scalar > 0)) r.fail("query_pre_attn_scalar must be positive");
  c.attention_scale = 1.0 / std::sqrt(query_scalar);
  c.attn_logit_softcap = soft_cap(r, j, "attn_logit_softcapping", d.attn_cap);
  c.final_logit_softcap = soft_cap(r, j, "final_logit_softcapping", d.final_cap);
  c.sliding_layers.assign(static_cast<size_t>(c.num_layers), false);
  if (auto types = read_layer_types(r, j, c.num_layers)) {
    c.sliding_layers = std::move(*types);
  } else {
    const int64_t pattern = d.pattern_field ? r.positive("sliding_window_pattern", int64_t{1} << 16, &d.pattern)
                                            : d.pattern;
    for (int i = 0; i < c.num_layers; ++i) c.sliding_layers[static_cast<size_t>(i)] = (i + 1) % pattern != 0;
  }
  const int64_t window_default = 4096;
  c.sliding_window = r.positive("sliding_window", int64_t{1} << 31, &window_default);
  if (std::find(c.sliding_layers.begin(), c.sliding_layers.end(), true) == c.sliding_layers.end()) {
    c.sliding_window = 0;  // no layer slides: the window changes nothing
  }
}

// Gemma 3's text model (Gemma3TextConfig): everything read_family does not cover. RoPE comes either as transformers
// 5.x's rope_parameters keyed by layer type or as 4.x's rope_theta / rope_local_base_freq / rope_scaling; layer
// types as layer_types or sliding_window_pattern (every pattern-th layer is full attention).
void read_gemma3(const ConfigReader& r, const json& j, ModelConfig& c) {
  c.qk_norm = QkNorm::PerHead;
  c.local_rope = true;
  // Gemma3TextConfig's defaults: query_pre_attn_scalar head_dim, no soft caps, sliding_window_pattern 6.
  read_gemma_common(r, j, c, {"gemma3_text", static_cast<double>(c.head_dim), 0.0, 0.0, 6, true, false});
  if (r.boolean("use_bidirectional_attention", false)) r.fail("use_bidirectional_attention is not implemented");
  // RoPE per layer type.
  c.rope_theta = r.number("rope_theta", 1000000.0);
  c.rope_local_theta = r.number("rope_local_base_freq", 10000.0);
  std::string full_type = "default";
  auto scaling = j.find("rope_scaling");
  if (scaling != j.end() && scaling->is_object()) {
    full_type = r.string(*scaling, "rope_type", r.string(*scaling, "type", "default"));
    c.rope_linear_factor = r.number(*scaling, "factor", 1.0);
  }
  auto params = j.find("rope_parameters");
  if (params != j.end() && params->is_object()) {
    for (const char* type : {"full_attention", "sliding_attention"}) {
      auto p = params->find(type);
      if (p == params->end() || p->is_null()) continue;
      if (!p->is_object()) r.fail(std::string("rope_parameters.") + type + " must be an object");
      const bool full = std::string(type) == "full_attention";
      const std::string rope_type = r.string(*p, "rope_type", "default");
      if (full) {
        c.rope_theta = r.number(*p, "rope_theta", c.rope_theta);
        full_type = rope_type;
        c.rope_linear_factor = r.number(*p, "factor", 1.0);
      } else {
        c.rope_local_theta = r.number(*p, "rope_theta", c.rope_local_theta);
        if (rope_type != "default") r.fail("rope_parameters.sliding_attention rope_type \"" + rope_type + "\" is not supported");
      }
    }
  }
  if (full_type == "default") c.rope_linear_factor = 1.0;
  else if (full_type != "linear") r.fail("rope_type \"" + full_type + "\" is not supported for gemma3_text (default and linear are)");
  if (!(c.rope_theta > 0) || !(c.rope_local_theta > 0)) r.fail("rope_theta and rope_local_base_freq must be positive");
  if (!(c.rope_linear_factor >= 1.0)) r.fail("linear rope \"factor\" must be at least 1");
}

// Gemma 2 (Gemma2Config): Gemma 3's (1 + weight) norms around attention and the MLP, scaled embeddings, GeGLU and
// query scaling, without q/k norms and with one RoPE base for every layer; attention scores soft-capped
// (attn_logit_softcapping, HF's default 50) and final logits too (final_logit_softcapping, default 30); layer i slides
// when layer_types says so or, by HF's default, when i + 1 is odd (window sliding_window, default 4096).
void read_gemma2(const ConfigReader& r, const json& j, ModelConfig& c) {
  // Gemma2Config's defaults: query_pre_attn_scalar 256, caps 50 and 30, every other layer sliding (no pattern field);
  // older configs name the activation hidden_act.
  read_gemma_common(r, j, c, {"gemma2", 256.0, 50.0, 30.0, 2, false, true});
}

}  // namespace

double lambda_init_for_layer(int depth) { return 0.8 - 0.6 * std::exp(-0.3 * depth); }

int64_t window_of_layer(const ModelConfig& config, int layer) {
  const bool sliding = layer >= 0 && static_cast<size_t>(layer) < config.sliding_layers.size() &&
                       config.sliding_layers[static_cast<size_t>(layer)];
  return sliding ? config.sliding_window : 0;
}

const char* attention_variant_name(const ModelConfig& config) {
  if (config.kind == AttentionKind::Standard) return "standard";
  return config.diff_variant == DiffVariant::V2 ? "diff-v2" : "diff-v1";
}

std::vector<float> rope_inverse_frequencies(const ModelConfig& config) {
  // Every step in float32 as HF's tensors do: torch promotes the Python scalars (theta, 2 pi, the factors) to
  // float32 before operating, and `scalar / tensor` is reciprocal(tensor) * scalar.
  const int d = config.rotary_dim > 0 ? config.rotary_dim : config.head_dim;
  const float base = static_cast<float>(config.rope_theta);
  std::vector<float> inv_freq(static_cast<size_t>(d / 2));
  for (int i = 0; i < d / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(d);
    inv_freq[static_cast<size_t>(i)] = 1.0f / std::pow(base, exponent);
  }
  if (config.rope_linear_factor != 1.0) {  // HF's linear scaling: every frequency divided by the factor
    for (float& inv : inv_freq) inv = inv / static_cast<float>(config.rope_linear_factor);
  }
  if (config.rope_type != "llama3") return inv_freq;

  const Llama3RopeScaling& s = config.llama3_rope;
  const double original = static_cast<double>(s.original_max_positions);
  const float low_freq_wavelen = static_cast<float>(original / s.low_freq_factor);
  const float high_freq_wavelen = static_cast<float>(original / s.high_freq_factor);
  const float factor = static_cast<float>(s.factor);
  const float two_pi = static_cast<float>(2.0 * 3.14159265358979323846);
  for (float& inv : inv_freq) {
    const float wavelen = (1.0f / inv) * two_pi;
    if (wavelen > low_freq_wavelen) {
      inv = inv / factor;  // long wavelengths (beyond the original context): interpolate positions by `factor`
    } else if (!(wavelen < high_freq_wavelen)) {
      // Between the two: blend the scaled and unscaled frequency.
      const float smooth = ((1.0f / wavelen) * static_cast<float>(original) - static_cast<float>(s.low_freq_factor)) /
                           static_cast<float>(s.high_freq_factor - s.low_freq_factor);
      inv = (1.0f - smooth) * inv / factor + smooth * inv;
    }  // short wavelengths stay as they are
  }
  return inv_freq;
}

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  const json j = parse_limited_json(json_text, source);
  if (!j.is_object()) throw FileError(source + ": expected a JSON object, found " + std::string(j.type_name()));
  ConfigReader r(j, source);

  ModelConfig c;
  // Bounds far above any real model, below where products of dimensions could overflow.
  constexpr int64_t kMaxWidth = int64_t{1} << 20, kMaxCount = int64_t{1} << 16, kMaxVocab = int64_t{1} << 31;
  c.model_type = r.string("model_type", "");
  if (c.model_type.empty()) {
    r.fail("required field \"model_type\" is missing (expected one of " + std::string(kSupportedTypes) + ")");
  }
  if (c.model_type == "gpt2") {
    read_gpt2(r, c, kMaxWidth, kMaxCount, kMaxVocab);
    return c;
  }
  if (c.model_type == "diffllama") {
    c.kind = AttentionKind::Differential;
  } else if (c.model_type == "llama" || c.model_type == "qwen2" || c.model_type == "qwen3" ||
             c.model_type == "mistral" || c.model_type == "olmo2" || c.model_type == "phi3") {
    c.kind = AttentionKind::Standard;
  } else if (c.model_type == "gemma3_text" || c.model_type == "gemma2") {
    c.kind = AttentionKind::Standard;
  } else if (c.model_type == "gemma3") {
    r.fail("model_type \"gemma3\" is Gemma 3's image-and-text model: DiffScope runs the text model "
           "(Gemma3ForCausalLM, model_type \"gemma3_text\", as google/gemma-3-1b-pt is)");
  } else if (c.model_type == "qwen3_moe" || c.model_type == "qwen2_moe" || c.model_type == "mixtral") {
    r.fail("model_type \"" + c.model_type + "\" is a mixture of experts, which DiffScope does not run (its dense "
           "relatives " + std::string(kSupportedTypes) + " it does)");
  } else {
    r.fail("unknown model_type \"" + c.model_type + "\": DiffScope loads " + std::string(kSupportedTypes) +
           " checkpoints");
  }
  if (c.model_type != "gemma3_text" && c.model_type != "gemma2") {  // Gemma names it hidden_activation (read_gemma*)
    std::string act = r.string("hidden_act", "silu");
    if (act != "silu") r.fail("hidden_act \"" + act + "\" is not supported (Llama-family models use \"silu\")");
  }

  c.hidden_size = static_cast<int>(r.positive("hidden_size", kMaxWidth));
  c.intermediate_size = static_cast<int>(r.positive("intermediate_size", kMaxWidth));
  c.num_layers = static_cast<int>(r.positive("num_hidden_layers", kMaxCount));
  c.num_heads = static_cast<int>(r.positive("num_attention_heads", kMaxCount));
  const int64_t heads = c.num_heads;
  c.num_kv_heads = static_cast<int>(r.positive("num_key_value_heads", kMaxCount, &heads));
  c.vocab_size = r.positive("vocab_size", kMaxVocab);
  const int64_t default_positions = 2048;
  c.max_positions = r.positive("max_position_embeddings", kMaxVocab, &default_positions);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.attention_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);
  read_family(r, j, c);

  if (c.hidden_size % c.num_heads != 0 && !j.contains("head_dim")) {
    r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
           std::to_string(c.num_heads) + " and no head_dim is given");
  }
  const int64_t default_head_dim = c.hidden_size / c.num_heads;
  c.head_dim = static_cast<int>(r.positive("head_dim", kMaxWidth, &default_head_dim));
  if (c.head_dim % 2 != 0) r.fail("head_dim " + std::to_string(c.head_dim) + " must be even for RoPE");
  // HF: rotary dims = int(head_dim * partial_rotary_factor) (Phi-3's modeling file; 1.0 elsewhere).
  double partial = r.number("partial_rotary_factor", 1.0);
  auto rope_params = j.find("rope_parameters");  // transformers 5.x may keep it with the RoPE settings
  if (rope_params != j.end() && rope_params->is_object()) partial = r.number(*rope_params, "partial_rotary_factor", partial);
  if (!(partial > 0) || partial > 1) r.fail("partial_rotary_factor must be in (0, 1], found " + std::to_string(partial));
  if (partial != 1.0 && c.model_type != "phi3") r.fail("partial_rotary_factor is only implemented for phi3");
  c.rotary_dim = static_cast<int>(static_cast<double>(c.head_dim) * partial);
  if (c.rotary_dim < 2 || c.rotary_dim % 2 != 0) {
    r.fail("head_dim * partial_rotary_factor = " + std::to_string(c.rotary_dim) + " rotary dims: must be even");
  }
  if (c.num_heads % c.num_kv_heads != 0) {
    r.fail("num_attention_heads " + std::to_string(c.num_heads) + " is not a multiple of num_key_value_heads " +
           std::to_string(c.num_kv_heads));
  }
  read_diff_variant(r, c);
  const bool v1 = c.kind == AttentionKind::Differential && c.diff_variant == DiffVariant::V1;
  const bool v2 = c.kind == AttentionKind::Differential && c.diff_variant == DiffVariant::V2;
  if (v1 && (c.num_heads % 2 != 0 || c.num_kv_heads % 2 != 0)) {
    r.fail("diffllama needs an even num_attention_heads and num_key_value_heads (pairs j, j + H/2 and the two V "
           "halves), found " + std::to_string(c.num_heads) + " and " + std::to_string(c.num_kv_heads));
  }
  // V2 pairs sub-heads 2h and 2h+1, and sub-head j reads KV head j / (H / KV): the pair shares one KV head (so D V is
  // one map times one V) exactly when the group size H / KV is even. H == KV (group size 1) is refused too.
  if (v2 && (c.num_heads % 2 != 0 || (c.num_heads / c.num_kv_heads) % 2 != 0)) {
    r.fail("diff_variant \"v2\" pairs sub-heads 2h and 2h+1, which must read the same KV head: num_attention_heads / "
           "num_key_value_heads must be even, found " + std::to_string(c.num_heads) + " / " +
           std::to_string(c.num_kv_heads));
  }
  if (c.model_type == "gemma3_text") {
    read_gemma3(r, j, c);
  } else if (c.model_type == "gemma2") {
    read_gemma2(r, j, c);
    read_rope(r, c);
  } else {
    read_rope(r, c);
  }
  return c;
}

ModelConfig read_model_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::string text;
  if (!read_small_file(path, &text)) {
    throw FileError(path + ": cannot open (is \"" + dir + "\" a HF model folder with a config.json?)");
  }
  return parse_model_config(text, path);
}

}  // namespace diffscope
