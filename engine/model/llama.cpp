// Llama (LlamaConfig) and DiffLlama (DiffLlamaConfig, Diff V1; with "diff_variant": "v2" Differential Transformer V2,
// docs/diff-v2.md): the shared Llama-like fields as they are, Llama's tensor names. Any thread.
#include "model/family.h"

namespace diffscope {

const ModelFamily& llama_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "llama";
    f.mlp_bias = true;  // LlamaMLP reads mlp_bias
    return f;
  }();
  return family;
}

// Differential attention: lambda_q1 / k1 / q2 / k2 (V1) or lambda_proj (V2) beside Llama's tensors; the shared reader
// reads diff_variant and checks the heads pair up.
const ModelFamily& diffllama_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "diffllama";
    f.kind = AttentionKind::Differential;
    return f;
  }();
  return family;
}

}  // namespace diffscope
