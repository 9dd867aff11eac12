// Gemma 2 (Gemma2Config) and Gemma 3's text model (Gemma3TextConfig): (1 + weight) RMSNorm before and after attention
// and the MLP, scaled embeddings, GeGLU, query scaling, soft caps, and local (sliding) and global layers. Any thread.
#include <algorithm>
#include <cmath>

#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

using nlohmann::json;

// A soft cap that HF applies with `fallback` when the field is absent and not at all when it is null.
double soft_cap(const ConfigReader& r, const char* key, double fallback) {
  auto it = r.root().find(key);
  if (it != r.root().end() && it->is_null()) return 0.0;
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

void read_gemma_common(const ConfigReader& r, ModelConfig& c, const GemmaDefaults& d) {
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
  c.attn_logit_softcap = soft_cap(r, "attn_logit_softcapping", d.attn_cap);
  c.final_logit_softcap = soft_cap(r, "final_logit_softcapping", d.final_cap);
  c.sliding_layers.assign(static_cast<size_t>(c.num_layers), false);
  if (auto types = read_layer_types(r, c.num_layers)) {
    c.sliding_layers = std::move(*types);
  } else {
    const int64_t pattern = d.pattern_field ? r.positive("sliding_window_pattern", int64_t{1} << 16, &d.pattern)
                                            : d.pattern;
    for (int i = 0; i < c.num_layers; ++i) c.sliding_layers[static_cast<size_t>(i)] = (i + 1) % pattern != 0;
  }
  const int64_t window_default = 4096;
  c.sliding_window = r.positive("sliding_window", kMaxConfigWindow, &window_default);
  if (std::find(c.sliding_layers.begin(), c.sliding_layers.end(), true) == c.sliding_layers.end()) {
    c.sliding_window = 0;  // no layer slides: the window changes nothing
  }
}

// Gemma 2: Gemma 3's norms, scaled embeddings, GeGLU and query scaling, without q/k norms and with one RoPE base for
// every layer (read_rope); attention scores soft-capped (attn_logit_softcapping, HF's default 50) and final logits
// too (final_logit_softcapping, default 30); layer i slides when layer_types says so or, by HF's default, when i + 1
// is odd (window sliding_window, default 4096).
void read_gemma2(const ConfigReader& r, ModelConfig& c) {
  // Gemma2Config's defaults: query_pre_attn_scalar 256, caps 50 and 30, every other layer sliding (no pattern field);
  // older configs name the activation hidden_act.
  read_gemma_common(r, c, {"gemma2", 256.0, 50.0, 30.0, 2, false, true});
}

// Gemma 3's text model: per-head q/k norms, and RoPE per layer type, either as transformers 5.x's rope_parameters
// keyed by layer type or as 4.x's rope_theta / rope_local_base_freq / rope_scaling; layer types as layer_types or
// sliding_window_pattern (every pattern-th layer is full attention).
void read_gemma3(const ConfigReader& r, ModelConfig& c) {
  const json& j = r.root();
  c.qk_norm = QkNorm::PerHead;
  c.local_rope = true;
  // Gemma3TextConfig's defaults: query_pre_attn_scalar head_dim, no soft caps, sliding_window_pattern 6.
  read_gemma_common(r, c, {"gemma3_text", static_cast<double>(c.head_dim), 0.0, 0.0, 6, true, false});
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

// Both name their activation hidden_activation (checked by read_gemma_common) and read windows.
ModelFamily gemma_family(const char* model_type, void (*read)(const ConfigReader&, ModelConfig&)) {
  ModelFamily f;
  f.model_type = model_type;
  f.hidden_act = nullptr;
  f.sliding_windows = true;
  f.read = read;
  return f;
}

}  // namespace

const ModelFamily& gemma2_family() {
  static const ModelFamily family = gemma_family("gemma2", read_gemma2);
  return family;
}

const ModelFamily& gemma3_text_family() {
  static const ModelFamily family = [] {
    ModelFamily f = gemma_family("gemma3_text", read_gemma3);
    f.rope = false;  // read_gemma3 reads RoPE per layer type
    return f;
  }();
  return family;
}

}  // namespace diffscope
