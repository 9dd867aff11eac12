// Tiny random Diff V2 checkpoints for tests. Any thread.
#include "tiny_v2_checkpoint.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "safetensors.h"

namespace diffscope::testing {

void Weights::add(const std::string& name, std::vector<int64_t> shape, std::mt19937& rng, double scale,
                  double offset) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(offset + scale * normal(rng));
  shapes[name] = std::move(shape);
  values[name] = std::move(v);
}

double Weights::at(const std::string& name, int64_t r, int64_t c) const {
  const auto& shape = shapes.at(name);
  const int64_t cols = shape.size() > 1 ? shape[1] : 1;
  return values.at(name)[static_cast<size_t>(r * cols + c)];
}

int64_t Weights::numel() const {
  int64_t n = 0;
  for (const auto& [name, v] : values) n += static_cast<int64_t>(v.size());
  return n;
}

Weights random_v2_weights(const TinyShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Weights w;
  const int64_t H = s.heads, KV = s.kv_heads, d = s.head_dim;
  w.add("model.embed_tokens.weight", {s.vocab, s.hidden}, rng, 1.0);
  for (int i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i);
    w.add(p + ".input_layernorm.weight", {s.hidden}, rng, 0.1, 1.0);
    w.add(p + ".post_attention_layernorm.weight", {s.hidden}, rng, 0.1, 1.0);
    w.add(p + ".self_attn.q_proj.weight", {H * d, s.hidden}, rng, 0.5);
    w.add(p + ".self_attn.k_proj.weight", {KV * d, s.hidden}, rng, 0.5);
    w.add(p + ".self_attn.v_proj.weight", {KV * d, s.hidden}, rng, 0.5);
    w.add(p + ".self_attn.o_proj.weight", {s.hidden, H / 2 * d}, rng, 0.3);
    w.add(p + ".self_attn.lambda_proj.weight", {H / 2, s.hidden}, rng, 0.7);  // spreads lambda over (0, 1)
    w.add(p + ".mlp.gate_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + ".mlp.up_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + ".mlp.down_proj.weight", {s.hidden, s.inter}, rng, 0.3);
  }
  w.add("model.norm.weight", {s.hidden}, rng, 0.1, 1.0);
  if (!s.tied) w.add("lm_head.weight", {s.vocab, s.hidden}, rng, 0.5);
  return w;
}

std::string v2_config_json(const TinyShape& s) {
  std::string rope = "\"rope_theta\": " + std::to_string(s.theta);
  if (s.llama3_factor > 0) {
    rope = "\"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": " + std::to_string(s.theta) +
           ", \"factor\": " + std::to_string(s.llama3_factor) +
           ", \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}";
  }
  return "{\"model_type\": \"diffllama\", \"diff_variant\": \"v2\", \"hidden_size\": " + std::to_string(s.hidden) +
         ", \"intermediate_size\": " + std::to_string(s.inter) + ", \"num_hidden_layers\": " +
         std::to_string(s.layers) + ", \"num_attention_heads\": " + std::to_string(s.heads) +
         ", \"num_key_value_heads\": " + std::to_string(s.kv_heads) + ", \"head_dim\": " + std::to_string(s.head_dim) +
         ", \"vocab_size\": " + std::to_string(s.vocab) + ", \"max_position_embeddings\": " +
         std::to_string(s.max_positions) + ", \"rms_norm_eps\": 1e-6, " +
         "\"tie_word_embeddings\": " + (s.tied ? "true" : "false") + ", " + rope + "}";
}

void write_checkpoint(const std::string& folder, const std::string& config, const Weights& w) {
  std::ofstream out(folder + "/config.json", std::ios::binary);
  out << config;
  if (!out) throw std::runtime_error("cannot write " + folder + "/config.json");
  out.close();
  std::vector<TensorToWrite> tensors;
  for (const auto& [name, v] : w.values) tensors.push_back({name, DType::F32, w.shapes.at(name), v.data()});
  write_safetensors(folder + "/model.safetensors", tensors);
}

Weights read_checkpoint(const std::string& folder, std::string* config) {
  std::ifstream in(folder + "/config.json", std::ios::binary);
  *config = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const auto file = SafetensorsFile::open(folder + "/model.safetensors");
  Weights w;
  for (const TensorInfo& t : file->tensors()) {
    if (t.dtype != DType::F32) throw std::runtime_error(folder + ": read_checkpoint reads f32 tensors only");
    const float* data = reinterpret_cast<const float*>(file->data(t));
    w.shapes[t.name] = t.shape;
    w.values[t.name] = std::vector<float>(data, data + t.numel());
  }
  return w;
}

void write_byte_level_v2(const std::string& folder, uint32_t seed, int layers) {
  TinyShape shape;
  shape.layers = layers;
  shape.vocab = 256;
  shape.max_positions = 256;
  Weights w = random_v2_weights(shape, seed);
  // lambda_proj a third as large: sigmoid's argument then has a standard deviation near 1, so lambda spreads over
  // about 0.1 .. 0.9 instead of sticking to 0 and 1 (easier to read in the app).
  for (int i = 0; i < shape.layers; ++i) {
    for (float& x : w.values.at("model.layers." + std::to_string(i) + ".self_attn.lambda_proj.weight")) x /= 3;
  }
  write_checkpoint(folder, v2_config_json(shape), w);
}

}  // namespace diffscope::testing
