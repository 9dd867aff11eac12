// Mistral (MistralConfig, transformers' modeling_mistral.py): Llama with a sliding window on every layer. Any thread.
#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

// sliding_window masks every layer (Mistral ignores layer_types); absent: MistralConfig's 4096; null: none.
void read_mistral(const ConfigReader& r, ModelConfig& c) {
  const int64_t mistral_default = 4096;
  read_window_on_every_layer(r, c, &mistral_default);
}

}  // namespace

const ModelFamily& mistral_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "mistral";
    f.sliding_windows = true;
    f.read = read_mistral;
    return f;
  }();
  return family;
}

}  // namespace diffscope
