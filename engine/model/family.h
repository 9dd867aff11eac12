// A model family as data: the model_type it answers to, what the shared config.json reader does for it, its own
// reader (the fields and switches that differ from Llama), and its tensor names. engine/model/<family>.cpp each
// describe one family (or two close ones); families.cpp lists them. Adding a family: docs/model-families.md.
// Plain C++; any thread.
#pragma once

#include <string>

#include "model/model_config.h"

namespace diffscope {

class ConfigReader;

struct ModelFamily {
  const char* model_type = "";  // config.json's model_type
  // true: parse_model_config reads the fields every Llama-like config has (hidden_size, intermediate_size,
  // num_hidden_layers, num_attention_heads, num_key_value_heads, vocab_size, max_position_embeddings, rms_norm_eps,
  // tie_word_embeddings, attention_bias, mlp_bias, head_dim, partial_rotary_factor, diff_variant) and checks them,
  // calls `read`, then reads RoPE (read_rope). false: `read` reads everything (GPT-2's own field names).
  bool llama_like = true;
  AttentionKind kind = AttentionKind::Standard;
  const char* hidden_act = "silu";   // the hidden_act a Llama-like config must name; nullptr: `read` checks its own
  bool mlp_bias = false;             // mlp_bias may be true (Llama); else refused
  bool partial_rotary = false;       // partial_rotary_factor below 1 is implemented (Phi-3); else refused
  bool sliding_windows = false;      // `read` reads sliding windows; else layer_types naming sliding layers is refused
  bool rope = true;                  // read_rope after `read`; false: `read` reads its own RoPE (Gemma 3)
  // The family's differences from Llama, after the shared fields: biases, norms, windows, scaling, soft caps...
  // Null: none (Llama).
  void (*read)(const ConfigReader& r, ModelConfig& c) = nullptr;
  TensorNames tensors;  // where its weights are (ModelConfig::tensors)
};

// The family of `model_type`, or nullptr.
const ModelFamily* find_model_family(const std::string& model_type);

// Why DiffScope refuses a model_type that it knows of but does not run (Gemma 3's image model, mixtures of experts),
// or "" for any other. The message names the supported types.
std::string refused_model_type(const std::string& model_type);

// "\"llama\", \"diffllama\", ... and \"gemma3_text\"": the supported model types, for messages.
std::string supported_model_types();

}  // namespace diffscope
