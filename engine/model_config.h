// Reads a HF config.json (model_type llama / diffllama) into the few numbers the engine needs. Any thread.
#pragma once

#include <cstdint>
#include <string>

#include "snapshot.h"

namespace diffscope {

struct ModelConfig {
  std::string model_type;  // "llama" or "diffllama"
  AttentionKind kind = AttentionKind::Standard;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;        // num_attention_heads: softmax sub-heads for diffllama
  int num_kv_heads = 0;
  int head_dim = 0;
  int64_t vocab_size = 0;
  int64_t max_positions = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
};

// Reads `dir`/config.json. Throws FileError (missing, unreadable, not JSON) or CheckpointError (a field missing,
// of the wrong type, or a model the engine does not support), naming the file and the field.
ModelConfig read_model_config(const std::string& dir);

// Same, from JSON text; `source` names it in messages.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);

// lambda_init of a Diff layer (REFERENCE.md section 1): 0.8 - 0.6 exp(-0.3 depth).
double lambda_init_for_layer(int depth);

}  // namespace diffscope
