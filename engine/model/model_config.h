// What the forward pass and the loader read of a model: ModelConfig, the family's differences from Llama as data
// (norms, MLP, attention options, RoPE, windows) and its tensor names, filled from a HF config.json by the family's
// description (engine/model/<family>.cpp, families.cpp's registry); and the RoPE inverse frequencies it implies.
// Plain C++; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace diffscope {

// Which differential attention a diffllama config means: config.json "diff_variant" absent or "v1" is HF DiffLlama
// (the paper's V1, REFERENCE.md section 1); "v2" is Differential Transformer V2 (section 3, docs/diff-v2.md).
enum class DiffVariant { V1, V2 };

// rope_type "llama3" (Llama 3.x): the parameters of HF's _compute_llama3_parameters.
struct Llama3RopeScaling {
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_positions = 8192;  // original_max_position_embeddings
};

// GPT-2's architecture beside the Llama-like one: learned position embeddings instead of RoPE, LayerNorm with a bias
// instead of RMSNorm, a GELU MLP (c_fc, c_proj) instead of the gated SiLU one, and Conv1D weights stored [in, out].
enum class Architecture { LlamaLike, Gpt2 };

// Where a family normalizes queries and keys (RMSNorm with a weight): Qwen3 per head over head_dim after the
// projection's reshape; OLMo 2 over the whole projection (H * head_dim, KV * head_dim) before it.
enum class QkNorm { None, PerHead, WholeProjection };

// Where a family keeps its weights in model.safetensors, so that one loader reads every family: layer tensors are
// `layer` + index + "." + the name below, then ".weight" (and ".bias" where the config asks for one). An empty name:
// the family has no such tensor. The defaults are Llama's names. (DiffLlama's lambda_q1 ... / lambda_proj, the only
// family with them, are read as layer + index + ".self_attn.lambda_*".)
struct TensorNames {
  const char* optional_prefix = "";  // put before every name by some checkpoints only (GPT-2's "transformer.")
  const char* embed = "model.embed_tokens";
  const char* position_embed = "";   // learned position embeddings [max_positions, hidden] (GPT-2's wpe)
  const char* layer = "model.layers.";
  const char* input_norm = "input_layernorm";
  const char* post_attention_norm = "post_attention_layernorm";
  const char* pre_feedforward_norm = "pre_feedforward_layernorm";
  const char* post_feedforward_norm = "post_feedforward_layernorm";
  const char* q_norm = "self_attn.q_norm";
  const char* k_norm = "self_attn.k_norm";
  const char* q = "self_attn.q_proj";
  const char* k = "self_attn.k_proj";
  const char* v = "self_attn.v_proj";
  const char* qkv = "";      // q, k and v in one tensor, rows q then k then v (Phi-3, GPT-2): used instead of q, k, v
  const char* o = "self_attn.o_proj";
  const char* gate = "mlp.gate_proj";  // empty: an MLP without a gate (GPT-2)
  const char* up = "mlp.up_proj";
  const char* gate_up = "";  // gate and up in one tensor, the gate's rows first (Phi-3): used instead of gate, up
  const char* down = "mlp.down_proj";
  const char* final_norm = "model.norm";
  const char* lm_head = "lm_head";  // read unless tie_word_embeddings
  bool norm_bias = false;           // the input, post-attention and final norms have a bias (GPT-2's LayerNorm)
  bool stored_transposed = false;   // projections stored [in, out] (GPT-2's Conv1D), transposed at load
};

struct ModelConfig {
  std::string model_type;  // config.json's: one of the registered families (engine/model/families.cpp)
  Architecture architecture = Architecture::LlamaLike;
  bool gelu_tanh = true;   // GPT-2's activation_function: "gelu_new" / "gelu_pytorch_tanh" (tanh form) or "gelu"
  AttentionKind kind = AttentionKind::Standard;
  DiffVariant diff_variant = DiffVariant::V1;  // meaningful only when kind == Differential
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;        // num_attention_heads: softmax sub-heads for diffllama
  int num_kv_heads = 0;
  int head_dim = 0;
  int rotary_dim = 0;       // the leading head dims RoPE rotates: head_dim * partial_rotary_factor (phi3), else all
  int64_t vocab_size = 0;
  int64_t max_positions = 0;
  double rms_norm_eps = 1e-6;  // GPT-2: layer_norm_epsilon
  double rope_theta = 10000.0;
  std::string rope_type = "default";  // "default" or "llama3"; every other type is refused at parse time
  Llama3RopeScaling llama3_rope;      // used when rope_type == "llama3"
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // config.json's field (llama, qwen3, olmo2: every attention projection)
  bool mlp_bias = false;
  bool qkv_bias = false;        // q_proj, k_proj, v_proj have a bias (qwen2 always; else attention_bias)
  bool o_bias = false;          // o_proj has a bias (attention_bias; never for qwen2)
  QkNorm qk_norm = QkNorm::None;
  // OLMo 2: no norm before attention or the MLP; their outputs are normalized (post_attention_layernorm,
  // post_feedforward_layernorm) before the residual add; and its RMSNorm scales by the weight before casting back to
  // the compute dtype (Llama's casts first).
  bool post_norms = false;
  bool norm_weight_first = false;
  // sliding_window W (0: none) of the layers marked in sliding_layers: their query i sees key j only when
  // i - W < j <= i (HF's sliding_window_overlay). Mistral and Phi-3: every layer; Qwen 2 / 3 (use_sliding_window):
  // layer_types or the layers from max_window_layers on; Gemma 3: its local layers.
  int64_t sliding_window = 0;
  // Gemma 3 (gemma3_text): RMSNorm scales by (1 + weight) in float32; norms before and after attention and the MLP
  // (input, post_attention, pre_feedforward, post_feedforward); embeddings times sqrt(hidden) in the compute dtype;
  // a GeGLU MLP (tanh GELU of the gate); scores scaled by query_pre_attn_scalar^-1/2; final logits soft-capped; and
  // layers of two types: "sliding_attention" (window `sliding_window`, RoPE base rope_local_theta) and
  // "full_attention" (rope_theta, linearly scaled by rope_linear_factor where configured).
  bool norm_plus_one = false;
  bool sandwich_norms = false;
  bool embed_scaled = false;
  bool gelu_gate = false;
  double attention_scale = 0;         // 0: head_dim^-1/2
  double final_logit_softcap = 0;     // 0: none
  double attn_logit_softcap = 0;      // Gemma 2: scores become c tanh(s / c) before the mask and softmax; 0: none
  std::vector<bool> sliding_layers;   // per layer: a sliding-window layer (empty: none); see sliding_window
  bool local_rope = false;            // Gemma 3: sliding layers rotate with rope_local_theta (unscaled)
  double rope_local_theta = 10000.0;
  double rope_linear_factor = 1.0;    // rope_type "linear" (full-attention layers): positions divided by it
  TensorNames tensors;                // where the loader finds the weights (the family's names)
};

// Reads `dir`/config.json. Throws FileError (missing, unreadable, not JSON) or CheckpointError (a field missing,
// of the wrong type, or a model the engine does not support), naming the file and the field.
ModelConfig read_model_config(const std::string& dir);

// Same, from JSON text; `source` names it in messages.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);

// The window of layer `layer`: config.sliding_window for a sliding layer, 0 (full causal attention) otherwise.
int64_t window_of_layer(const ModelConfig& config, int layer);

// "standard", "diff-v1" or "diff-v2" (ModelInfo::attention_variant).
const char* attention_variant_name(const ModelConfig& config);

// RoPE inverse frequencies, rotary_dim / 2 of them, in float32 and in the order of operations HF uses:
// inv_freq_i = 1 / rope_theta^(2i / head_dim), then for rope_type llama3 the wavelength-dependent scaling of
// _compute_llama3_parameters (long wavelengths divided by factor, short ones kept, a smooth blend in between).
std::vector<float> rope_inverse_frequencies(const ModelConfig& config);

// lambda_init of a Diff layer (REFERENCE.md section 1): 0.8 - 0.6 exp(-0.3 depth).
double lambda_init_for_layer(int depth);

}  // namespace diffscope
