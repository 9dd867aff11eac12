// Parses a HF config.json into ModelConfig: the fields every Llama-like family shares, then the family's own
// (engine/model/<family>.cpp, found by model_type in families.cpp's registry); and computes RoPE inverse frequencies.
// Any thread.
#include "model/model_config.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "json_limits.h"
#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

using nlohmann::json;

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

// The fields every Llama-like config has, checked against each other and against what `family` implements.
void read_llama_like(const ConfigReader& r, const ModelFamily& family, ModelConfig& c) {
  const json& j = r.root();
  if (family.hidden_act) {
    std::string act = r.string("hidden_act", family.hidden_act);
    if (act != family.hidden_act) {
      r.fail("hidden_act \"" + act + "\" is not supported (Llama-family models use \"" + family.hidden_act + "\")");
    }
  }
  c.hidden_size = static_cast<int>(r.positive("hidden_size", kMaxConfigWidth));
  c.intermediate_size = static_cast<int>(r.positive("intermediate_size", kMaxConfigWidth));
  c.num_layers = static_cast<int>(r.positive("num_hidden_layers", kMaxConfigCount));
  c.num_heads = static_cast<int>(r.positive("num_attention_heads", kMaxConfigCount));
  const int64_t heads = c.num_heads;
  c.num_kv_heads = static_cast<int>(r.positive("num_key_value_heads", kMaxConfigCount, &heads));
  c.vocab_size = r.positive("vocab_size", kMaxConfigVocab);
  const int64_t default_positions = 2048;
  c.max_positions = r.positive("max_position_embeddings", kMaxConfigVocab, &default_positions);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.attention_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);
  c.qkv_bias = c.attention_bias;  // a family's `read` may change these (Qwen 2)
  c.o_bias = c.attention_bias;
  if (c.mlp_bias && !family.mlp_bias) r.fail("mlp_bias is only read for llama; " + c.model_type + " has none");

  if (c.hidden_size % c.num_heads != 0 && !j.contains("head_dim")) {
    r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
           std::to_string(c.num_heads) + " and no head_dim is given");
  }
  const int64_t default_head_dim = c.hidden_size / c.num_heads;
  c.head_dim = static_cast<int>(r.positive("head_dim", kMaxConfigWidth, &default_head_dim));
  if (c.head_dim % 2 != 0) r.fail("head_dim " + std::to_string(c.head_dim) + " must be even for RoPE");
  // HF: rotary dims = int(head_dim * partial_rotary_factor) (Phi-3's modeling file; 1.0 elsewhere).
  double partial = r.number("partial_rotary_factor", 1.0);
  auto rope_params = j.find("rope_parameters");  // transformers 5.x may keep it with the RoPE settings
  if (rope_params != j.end() && rope_params->is_object()) partial = r.number(*rope_params, "partial_rotary_factor", partial);
  if (!(partial > 0) || partial > 1) r.fail("partial_rotary_factor must be in (0, 1], found " + std::to_string(partial));
  if (partial != 1.0 && !family.partial_rotary) r.fail("partial_rotary_factor is only implemented for phi3");
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
}

// A family without sliding windows refuses layer_types that names sliding layers rather than run them unwindowed.
void refuse_sliding_layer_types(const ConfigReader& r, const ModelConfig& c) {
  auto types = r.root().find("layer_types");
  if (types == r.root().end() || !types->is_array()) return;
  for (const json& t : *types) {
    if (t.is_string() && t.get<std::string>() == "sliding_attention") {
      r.fail("layer_types names \"sliding_attention\" layers: sliding-window attention is not implemented for " +
             c.model_type);
    }
  }
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
  c.model_type = r.string("model_type", "");
  if (c.model_type.empty()) {
    r.fail("required field \"model_type\" is missing (expected one of " + supported_model_types() + ")");
  }
  const ModelFamily* family = find_model_family(c.model_type);
  if (!family) {
    const std::string refusal = refused_model_type(c.model_type);
    if (!refusal.empty()) r.fail(refusal);
    r.fail("unknown model_type \"" + c.model_type + "\": DiffScope loads " + supported_model_types() + " checkpoints");
  }
  c.kind = family->kind;
  c.tensors = family->tensors;
  if (!family->llama_like) {  // GPT-2: the family reads every field itself
    family->read(r, c);
    return c;
  }
  read_llama_like(r, *family, c);
  if (family->read) family->read(r, c);
  if (!family->sliding_windows) refuse_sliding_layer_types(r, c);
  if (family->rope) read_rope(r, c);
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
