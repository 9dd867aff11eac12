// A tiny random Differential Transformer V2 checkpoint (docs/diff-v2.md) written as an HF folder (config.json +
// model.safetensors): the engine's V2 tests compare it with a direct implementation, the GUI test opens it in the app.
// Plain C++ (no LibTorch); any thread.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace diffscope::testing {

// The shape of a tiny V2 model. o_proj reads H/2 diff heads of head_dim, which differs from hidden on purpose.
struct TinyShape {
  int hidden = 16, inter = 24, layers = 2, heads = 4, kv_heads = 2, head_dim = 6, vocab = 32;
  double eps = 1e-6, theta = 10000.0;
  bool tied = false;
  // llama3 RoPE scaling when factor > 0 (low 1, high 4, original 16: the test's wavelengths span the bands).
  double llama3_factor = 0;
  int max_positions = 64;
};

// Named tensors of random weights, kept in float (what is written); `at` reads one back as double.
struct Weights {
  std::map<std::string, std::vector<int64_t>> shapes;
  std::map<std::string, std::vector<float>> values;

  // Adds (or replaces) `name` with offset + scale * N(0, 1) entries drawn from `rng`.
  void add(const std::string& name, std::vector<int64_t> shape, std::mt19937& rng, double scale, double offset = 0);
  double at(const std::string& name, int64_t r, int64_t c = 0) const;
  int64_t numel() const;
};

// Every tensor of a V2 model of `shape`; lambda_proj is scaled so that lambda spreads over (0, 1).
Weights random_v2_weights(const TinyShape& shape, uint32_t seed);

// Its config.json text ("model_type": "diffllama", "diff_variant": "v2").
std::string v2_config_json(const TinyShape& shape);

// Writes folder/config.json and folder/model.safetensors (f32); the folder must exist.
void write_checkpoint(const std::string& folder, const std::string& config, const Weights& weights);

// Every tensor of an f32 model folder (model.safetensors) and its config.json text, to write changed copies of it.
Weights read_checkpoint(const std::string& folder, std::string* config);

// A V2 model the app can run on typed text: no tokenizer.json, so byte tokens (vocab 256), 256 positions, 2 layers of
// 2 diff heads (4 sub-heads, 2 KV heads), lambda_proj scaled so lambda stays mostly inside (0.1, 0.9); written into
// `folder` (which must exist) with `seed`.
void write_byte_level_v2(const std::string& folder, uint32_t seed = 7, int layers = 2);

}  // namespace diffscope::testing
