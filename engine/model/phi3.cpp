// Phi-3 (Phi3Config, transformers' modeling_phi3.py): Llama with q/k/v stored as one qkv_proj and gate/up as one
// gate_up_proj (cut at load), RoPE on the first head_dim * partial_rotary_factor dims, and a window on every layer
// when sliding_window is set. Any thread.
#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

// Phi3Config has no window by default.
void read_phi3(const ConfigReader& r, ModelConfig& c) { read_window_on_every_layer(r, c, nullptr); }

}  // namespace

const ModelFamily& phi3_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "phi3";
    f.partial_rotary = true;
    f.sliding_windows = true;
    f.read = read_phi3;
    f.tensors.qkv = "self_attn.qkv_proj";  // rows q, then k, then v
    f.tensors.gate_up = "mlp.gate_up_proj";  // rows the gate, then up
    return f;
  }();
  return family;
}

}  // namespace diffscope
