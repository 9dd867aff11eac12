// OLMo 2 (Olmo2Config, transformers' modeling_olmo2.py): Llama with its norms after attention and the MLP instead of
// before, q/k norms over the whole projection, and an RMSNorm that scales before casting back. Any thread.
#include "model/family.h"

namespace diffscope {

namespace {

// No norm before attention or the MLP: post_attention_layernorm and post_feedforward_layernorm normalize their
// outputs before the residual adds; q_norm / k_norm over (H * head_dim) and (KV * head_dim) before the reshape.
void read_olmo2(const ConfigReader&, ModelConfig& c) {
  c.qk_norm = QkNorm::WholeProjection;
  c.post_norms = true;
  c.norm_weight_first = true;
}

}  // namespace

const ModelFamily& olmo2_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "olmo2";
    f.read = read_olmo2;
    return f;
  }();
  return family;
}

}  // namespace diffscope
