// Qwen 2 / 2.5 (Qwen2Config) and Qwen 3 (Qwen3Config): Llama with Qwen 2's q/k/v biases or Qwen 3's per-head q/k
// norms, and the sliding windows both configs spell alike. Any thread.
#include <algorithm>

#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

// Qwen2Config.__post_init__: sliding_window counts only with use_sliding_window; the sliding layers are layer_types'
// "sliding_attention" ones, or without layer_types those from max_window_layers on.
void read_qwen_windows(const ConfigReader& r, ModelConfig& c) {
  const bool use = r.boolean("use_sliding_window", false);
  std::vector<bool> sliding(static_cast<size_t>(c.num_layers), false);
  if (auto types = read_layer_types(r, c.num_layers)) {
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
  auto w = r.root().find("sliding_window");
  if (w != r.root().end() && w->is_null()) {
    r.fail("use_sliding_window is true but sliding_window is null: set the window the checkpoint was trained with");
  }
  const int64_t default_window = 4096;  // Qwen2Config's
  c.sliding_window = r.positive("sliding_window", kMaxConfigWindow, &default_window);
  c.sliding_layers = std::move(sliding);
}

// Qwen2Attention: q/k/v always with a bias, o_proj never (attention_bias is not read).
void read_qwen2(const ConfigReader& r, ModelConfig& c) {
  c.qkv_bias = true;
  c.o_bias = false;
  read_qwen_windows(r, c);
}

// Qwen3Attention: RMSNorm (Llama's) of each head's q and k over head_dim, after the reshape and before RoPE;
// attention_bias biases every projection.
void read_qwen3(const ConfigReader& r, ModelConfig& c) {
  c.qk_norm = QkNorm::PerHead;
  read_qwen_windows(r, c);
}

}  // namespace

const ModelFamily& qwen2_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "qwen2";
    f.sliding_windows = true;
    f.read = read_qwen2;
    return f;
  }();
  return family;
}

const ModelFamily& qwen3_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "qwen3";
    f.sliding_windows = true;
    f.read = read_qwen3;
    return f;
  }();
  return family;
}

}  // namespace diffscope
