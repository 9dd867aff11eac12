// The standard families beside Llama (gpt2, qwen2, qwen3, mistral, olmo2): tiny random checkpoints of each run through
// the engine and compared, logits and every attention map, with a direct double-precision implementation written from
// transformers 5.17's modeling files (GPT-2: learned positions, LayerNorm with biases, Conv1D weights stored
// [in, out], c_attn cut into q, k, v, a tanh-GELU MLP, the LM head tied to wte; Qwen2: q/k/v biases, no o_proj bias;
// Qwen3: RMSNorm of each head's q and k over head_dim before RoPE; OLMo 2: RMSNorm of the whole q and k projections,
// norms on the attention and MLP outputs instead of before them); plus what each config refuses; sliding windows
// shorter than the prompt (mistral, qwen2/qwen3 with use_sliding_window, phi3, Gemma 3's local layers: HF's band
// i - W < j <= i from masking_utils.sliding_window_overlay, in the reference and in everything a run gives); and the
// head-effect scan through each family's batched layers against each ablation run alone. HF itself checks them on
// the GPU machine (scripts/check_against_hf.py). Main thread; device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <stb_image.h>  // the implementation is compiled into Debian's libstb

#include "errors.h"
#include "export.h"
#include "heatmap_png.h"
#include "model.h"
#include "model/model_config.h"
#include "reference_math.h"
#include "scan_reference.h"
#include "temp_dir.h"
#include "test_device.h"
#include "tiny_v2_checkpoint.h"
#include "tokenizer.h"

using namespace diffscope;
using namespace diffscope::testing;

namespace {

struct Family {
  std::string type;
  bool qkv_bias = false, o_bias = false;
  enum { None, PerHead, Whole } qk_norm = None;
  bool post_norms = false;
  std::string extra_config;  // more config.json fields, e.g. ", \"attention_bias\": true"
  int rotary_dim = 0;        // phi3's head_dim * partial_rotary_factor (0: all of head_dim)
  bool fused = false;        // phi3: qkv_proj and gate_up_proj in the file
  int64_t window = 0;        // the reference's sliding window (0: none), set to what extra_config asks for
  std::vector<bool> sliding; // the layers it applies to (empty: every layer)
  int64_t window_of(int layer) const {
    return window > 0 && (sliding.empty() || sliding[static_cast<size_t>(layer)]) ? window : 0;
  }
};

// The file's tensors of a fused family (phi3): q/k/v rows stacked into qkv_proj, gate and up into gate_up_proj.
Weights fused_file(const Weights& w, int layers) {
  Weights out = w;
  auto stack = [&](const std::vector<std::string>& parts, const std::string& name) {
    std::vector<float> values;
    int64_t rows = 0, cols = 0;
    for (const std::string& part : parts) {
      rows += out.shapes.at(part)[0];
      cols = out.shapes.at(part)[1];
      values.insert(values.end(), out.values.at(part).begin(), out.values.at(part).end());
      out.shapes.erase(part);
      out.values.erase(part);
    }
    out.shapes[name] = {rows, cols};
    out.values[name] = values;
  };
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    stack({p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"},
          p + "self_attn.qkv_proj.weight");
    stack({p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"}, p + "mlp.gate_up_proj.weight");
  }
  return out;
}

TinyShape family_shape() {
  TinyShape s;
  s.hidden = 16;
  s.inter = 24;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.head_dim = 6;  // hidden != heads * head_dim on purpose
  s.vocab = 32;
  return s;
}

Weights family_weights(const Family& f, const TinyShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Weights w;
  const int64_t H = s.heads, KV = s.kv_heads, d = s.head_dim;
  w.add("model.embed_tokens.weight", {s.vocab, s.hidden}, rng, 1.0);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l);
    if (!f.post_norms) w.add(p + ".input_layernorm.weight", {s.hidden}, rng, 0.1, 1.0);
    w.add(p + ".post_attention_layernorm.weight", {s.hidden}, rng, 0.1, 1.0);
    if (f.post_norms) w.add(p + ".post_feedforward_layernorm.weight", {s.hidden}, rng, 0.1, 1.0);
    w.add(p + ".self_attn.q_proj.weight", {H * d, s.hidden}, rng, 0.4);
    w.add(p + ".self_attn.k_proj.weight", {KV * d, s.hidden}, rng, 0.4);
    w.add(p + ".self_attn.v_proj.weight", {KV * d, s.hidden}, rng, 0.4);
    w.add(p + ".self_attn.o_proj.weight", {s.hidden, H * d}, rng, 0.3);
    if (f.qkv_bias) {
      w.add(p + ".self_attn.q_proj.bias", {H * d}, rng, 0.5);
      w.add(p + ".self_attn.k_proj.bias", {KV * d}, rng, 0.5);
      w.add(p + ".self_attn.v_proj.bias", {KV * d}, rng, 0.5);
    }
    if (f.o_bias) w.add(p + ".self_attn.o_proj.bias", {s.hidden}, rng, 0.5);
    if (f.qk_norm != Family::None) {
      const int64_t qn = f.qk_norm == Family::PerHead ? d : H * d, kn = f.qk_norm == Family::PerHead ? d : KV * d;
      w.add(p + ".self_attn.q_norm.weight", {qn}, rng, 0.3, 1.0);
      w.add(p + ".self_attn.k_norm.weight", {kn}, rng, 0.3, 1.0);
    }
    w.add(p + ".mlp.gate_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + ".mlp.up_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + ".mlp.down_proj.weight", {s.hidden, s.inter}, rng, 0.3);
  }
  w.add("model.norm.weight", {s.hidden}, rng, 0.1, 1.0);
  w.add("lm_head.weight", {s.vocab, s.hidden}, rng, 0.5);
  return w;
}

std::string family_config(const Family& f, const TinyShape& s) {
  return "{\"model_type\": \"" + f.type + "\", \"hidden_size\": " + std::to_string(s.hidden) +
         ", \"intermediate_size\": " + std::to_string(s.inter) + ", \"num_hidden_layers\": " +
         std::to_string(s.layers) + ", \"num_attention_heads\": " + std::to_string(s.heads) +
         ", \"num_key_value_heads\": " + std::to_string(s.kv_heads) + ", \"head_dim\": " + std::to_string(s.head_dim) +
         ", \"vocab_size\": " + std::to_string(s.vocab) + ", \"max_position_embeddings\": " +
         std::to_string(s.max_positions) + ", \"rms_norm_eps\": 1e-06, \"rope_theta\": 10000.0, \"hidden_act\": "
         "\"silu\", \"tie_word_embeddings\": false" + f.extra_config + "}";
}

struct Reference {
  std::vector<Vec> logits;                          // [T][V]
  std::vector<std::vector<std::vector<Vec>>> maps;  // [layer][head][row][col]
  std::vector<Vec> abs_scores;                      // [layer]: |scaled q.k| of every entry a query sees, every head
};

// Every head's causal softmax map (head j reads KV head j / (H / KV)) from rows of q (H * d), k and v (KV * d), and the
// heads' outputs concatenated into *concat (T rows of H * d). `window` W > 0: HF's band (i - W < j <= i). The |scores|
// of the entries a query sees are appended to *abs_scores when given.
std::vector<std::vector<Vec>> attend_heads(const std::vector<Vec>& q, const std::vector<Vec>& k,
                                           const std::vector<Vec>& v, int H, int KV, int d, double scale,
                                           std::vector<Vec>* concat, int64_t window = 0, Vec* abs_scores = nullptr,
                                           double softcap = 0) {
  const size_t T = q.size();
  concat->assign(T, Vec(static_cast<size_t>(H * d), 0.0));
  std::vector<std::vector<Vec>> maps;
  for (int j = 0; j < H; ++j) {
    const int kv = j / (H / KV);
    std::vector<Vec> qj(T), kj(T);
    for (size_t t = 0; t < T; ++t) {
      qj[t] = Vec(q[t].begin() + j * d, q[t].begin() + (j + 1) * d);
      kj[t] = Vec(k[t].begin() + kv * d, k[t].begin() + (kv + 1) * d);
    }
    const std::vector<Vec> A = reference_causal_softmax(qj, kj, scale, window, softcap);
    for (size_t i = 0; i < T; ++i)
      for (size_t c = 0; c <= i; ++c)
        for (int e = 0; e < d; ++e) (*concat)[i][static_cast<size_t>(j * d + e)] += A[i][c] * v[c][static_cast<size_t>(kv * d + e)];
    for (size_t i = 0; i < T && abs_scores; ++i)
      for (size_t c = 0; c <= i; ++c) {
        if (window > 0 && static_cast<int64_t>(i) - window >= static_cast<int64_t>(c)) continue;
        double dot = 0;
        for (int e = 0; e < d; ++e) dot += qj[i][static_cast<size_t>(e)] * kj[c][static_cast<size_t>(e)];
        abs_scores->push_back(std::fabs(softcap > 0 ? softcap * std::tanh(dot * scale / softcap) : dot * scale));
      }
    maps.push_back(A);
  }
  return maps;
}

// The family's forward in double, from the modeling files' order of operations.
Reference reference_forward(const Family& f, const TinyShape& s, const Weights& w, const std::vector<int64_t>& ids) {
  const int T = static_cast<int>(ids.size()), H = s.heads, KV = s.kv_heads, d = s.head_dim, group = H / KV;
  const int rotary = f.rotary_dim > 0 ? f.rotary_dim : d;  // RoPE on the leading `rotary` dims of each head
  TinyShape rotary_shape = s;
  rotary_shape.head_dim = rotary;
  const Vec inv = reference_inverse_frequencies(rotary_shape);
  Reference ref;
  std::vector<Vec> x(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < s.hidden; ++c) x[t].push_back(w.at("model.embed_tokens.weight", ids[static_cast<size_t>(t)], c));
  }
  auto add = [](Vec& a, const Vec& b) {
    for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  };
  auto slice = [](const Vec& v, int begin, int n) { return Vec(v.begin() + begin, v.begin() + begin + n); };
  for (int layer = 0; layer < s.layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    const std::string a = p + "self_attn.";
    std::vector<Vec> q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      const Vec h = f.post_norms ? x[t] : reference_rms_norm(x[t], w, p + "input_layernorm.weight", s.eps);
      q[t] = reference_linear(h, w, a + "q_proj.weight", f.qkv_bias ? a + "q_proj.bias" : "");
      k[t] = reference_linear(h, w, a + "k_proj.weight", f.qkv_bias ? a + "k_proj.bias" : "");
      v[t] = reference_linear(h, w, a + "v_proj.weight", f.qkv_bias ? a + "v_proj.bias" : "");
      if (f.qk_norm == Family::Whole) {
        q[t] = reference_rms_norm(q[t], w, a + "q_norm.weight", s.eps);
        k[t] = reference_rms_norm(k[t], w, a + "k_norm.weight", s.eps);
      }
      if (f.qk_norm == Family::PerHead) {
        for (int j = 0; j < H; ++j) {
          const Vec n = reference_rms_norm(slice(q[t], j * d, d), w, a + "q_norm.weight", s.eps);
          std::copy(n.begin(), n.end(), q[t].begin() + j * d);
        }
        for (int j = 0; j < KV; ++j) {
          const Vec n = reference_rms_norm(slice(k[t], j * d, d), w, a + "k_norm.weight", s.eps);
          std::copy(n.begin(), n.end(), k[t].begin() + j * d);
        }
      }
      for (int j = 0; j < H; ++j) reference_rotate(&q[t][static_cast<size_t>(j * d)], rotary, t, inv);
      for (int j = 0; j < KV; ++j) reference_rotate(&k[t][static_cast<size_t>(j * d)], rotary, t, inv);
    }
    std::vector<Vec> concat;
    ref.abs_scores.emplace_back();
    ref.maps.push_back(attend_heads(q, k, v, H, KV, d, 1.0 / std::sqrt(static_cast<double>(d)), &concat,
                                    f.window_of(layer), &ref.abs_scores.back()));
    for (int t = 0; t < T; ++t) {
      Vec attn = reference_linear(concat[t], w, a + "o_proj.weight", f.o_bias ? a + "o_proj.bias" : "");
      if (f.post_norms) attn = reference_rms_norm(attn, w, p + "post_attention_layernorm.weight", s.eps);
      Vec y = x[t];
      add(y, attn);
      const Vec h2 = f.post_norms ? y : reference_rms_norm(y, w, p + "post_attention_layernorm.weight", s.eps);
      const Vec gate = reference_linear(h2, w, p + "mlp.gate_proj.weight");
      const Vec up = reference_linear(h2, w, p + "mlp.up_proj.weight");
      Vec act(gate.size());
      for (size_t i = 0; i < gate.size(); ++i) act[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];  // SwiGLU
      Vec mlp = reference_linear(act, w, p + "mlp.down_proj.weight");
      if (f.post_norms) mlp = reference_rms_norm(mlp, w, p + "post_feedforward_layernorm.weight", s.eps);
      add(y, mlp);
      x[t] = y;
    }
  }
  for (int t = 0; t < T; ++t) {
    ref.logits.push_back(reference_linear(reference_rms_norm(x[t], w, "model.norm.weight", s.eps), w, "lm_head.weight"));
  }
  return ref;
}

double max_abs_diff(const Matrix& m, const std::vector<Vec>& ref) { return max_abs_difference(m, ref); }

// Runs `ids` through `model` with explicit maps and fused (statistics, no maps) and compares the logits and every map
// with `ref` within 1e-4 (f32 against double); returns the fused run. `statistics` false: both runs without
// statistics and overviews (see statistics_refused).
AttentionSnapshot check_runs(const Model& model, const std::vector<int64_t>& ids, const Reference& ref,
                             bool statistics = true) {
  CaptureRequest explicit_maps;
  explicit_maps.attention = CaptureRequest::Attention::Explicit;
  explicit_maps.statistics = explicit_maps.overviews = statistics;
  const AttentionSnapshot snap = model.run(tokens_from_ids(ids), explicit_maps);
  CHECK(max_abs_diff(snap.logits, ref.logits) <= 1e-4);
  for (size_t layer = 0; layer < ref.maps.size(); ++layer) {
    for (size_t h = 0; h < ref.maps[layer].size(); ++h) {
      INFO("layer " << layer << " head " << h);
      REQUIRE(snap.layers.size() == ref.maps.size());
      CHECK(max_abs_diff(snap.layers[layer].attn[h], ref.maps[layer][h]) <= 1e-4);
    }
  }
  CaptureRequest fused;  // the fused forward (no T x T map) and the statistics scan
  fused.maps = CaptureRequest::Maps::None;
  fused.statistics = fused.overviews = statistics;
  AttentionSnapshot fast = model.run(tokens_from_ids(ids), fused);
  CHECK(max_abs_diff(fast.logits, ref.logits) <= 1e-4);
  return fast;
}

// The head-effect scan (ablate=mean, every head) through the family's batched layers equals each ablation run alone
// (tolerance as in test_head_scan.cpp: batched f32 sums, 1e-5 on the CPU, 1e-4 for cuBLAS's batched kernels).
void check_scan(const Model& model, const std::vector<int64_t>& ids) {
  const std::vector<int64_t> prompt(ids.begin(), ids.end() - 2), answer(ids.end() - 2, ids.end());
  HeadScanOptions options = scan_what("ablate=mean");
  options.batch = 3;
  const HeadScan scan = model.scan_heads(tokens_from_ids(prompt), answer, options);
  const double tolerance = test_device_name() == "cpu" ? 1e-5 : 1e-4;
  for (const HeadEffect& got : scan.effects) {
    Intervention iv;
    iv.layer = got.layer;
    iv.head = got.head;
    iv.what = Intervention::What::AblateMean;
    INFO("scan " << intervention_spec(iv));
    const HeadEffect want = scan_reference(model, prompt, answer, iv);
    CHECK(got.logprob_clean == Approx(want.logprob_clean).margin(tolerance));
    CHECK(got.logprob_changed == Approx(want.logprob_changed).margin(tolerance));
    CHECK(got.kl == Approx(want.kl).margin(tolerance));
    CHECK(got.rank_changed == want.rank_changed);
  }
}

void check_family(const Family& f, uint32_t seed) {
  INFO("model_type " << f.type << " on " << test_device_name());
  const TinyShape shape = family_shape();
  const TempDir dir("family-" + f.type);
  const Weights weights = family_weights(f, shape, seed);
  write_checkpoint(dir.path(), family_config(f, shape), f.fused ? fused_file(weights, shape.layers) : weights);
  auto model = Model::load(dir.path(), test_load_options());
  const ModelInfo& info = model->info();
  CHECK(info.model_type == f.type);
  CHECK(info.kind == AttentionKind::Standard);
  CHECK(info.num_parameters == weights.numel());

  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  check_runs(*model, ids, reference_forward(f, shape, weights, ids));
  check_scan(*model, ids);
}

// ---- Gemma 3 (gemma3_text) ----

// Two layers: 0 slides (window `window`, RoPE base 10000), 1 is full attention (base 1e6, linear factor 2).
std::string gemma3_config(const TinyShape& s, int64_t window = 63) {
  return "{\"model_type\": \"gemma3_text\", \"hidden_size\": " + std::to_string(s.hidden) +
         ", \"intermediate_size\": " + std::to_string(s.inter) + ", \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": " + std::to_string(s.heads) + ", \"num_key_value_heads\": " +
         std::to_string(s.kv_heads) + ", \"head_dim\": " + std::to_string(s.head_dim) + ", \"vocab_size\": " +
         std::to_string(s.vocab) + ", \"max_position_embeddings\": " + std::to_string(s.max_positions) +
         ", \"rms_norm_eps\": 1e-06, \"hidden_activation\": \"gelu_pytorch_tanh\", \"query_pre_attn_scalar\": 4, "
         "\"final_logit_softcapping\": 3.0, \"attn_logit_softcapping\": null, \"sliding_window\": " +
         std::to_string(window) + ", "
         "\"layer_types\": [\"sliding_attention\", \"full_attention\"], \"rope_theta\": 1000000.0, "
         "\"rope_local_base_freq\": 10000.0, \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}}";
}

Weights gemma3_weights(const TinyShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Weights w;
  const int64_t H = s.heads, KV = s.kv_heads, d = s.head_dim;
  w.add("model.embed_tokens.weight", {s.vocab, s.hidden}, rng, 0.3);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* n : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                          "post_feedforward_layernorm"}) {
      w.add(p + n + ".weight", {s.hidden}, rng, 0.2);  // Gemma's norms scale by (1 + weight): weights near 0
    }
    w.add(p + "self_attn.q_proj.weight", {H * d, s.hidden}, rng, 0.4);
    w.add(p + "self_attn.k_proj.weight", {KV * d, s.hidden}, rng, 0.4);
    w.add(p + "self_attn.v_proj.weight", {KV * d, s.hidden}, rng, 0.4);
    w.add(p + "self_attn.o_proj.weight", {s.hidden, H * d}, rng, 0.3);
    w.add(p + "self_attn.q_norm.weight", {d}, rng, 0.2);
    w.add(p + "self_attn.k_norm.weight", {d}, rng, 0.2);
    w.add(p + "mlp.gate_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + "mlp.up_proj.weight", {s.inter, s.hidden}, rng, 0.3);
    w.add(p + "mlp.down_proj.weight", {s.hidden, s.inter}, rng, 0.3);
  }
  w.add("model.norm.weight", {s.hidden}, rng, 0.2);
  return w;  // the LM head is the embedding (tie_word_embeddings defaults to true)
}

Vec rms_plus_one(const Vec& x, const Weights& w, const std::string& name, double eps) {
  Vec out = reference_rms_norm(x, w, "", eps);
  for (size_t i = 0; i < out.size(); ++i) out[i] *= 1.0 + w.at(name, static_cast<int64_t>(i));
  return out;
}

// Gemma 3's forward; with `gemma2`, Gemma 2's: no q/k norms, one RoPE base (10000, unscaled) for both layers, and
// scores soft-capped at `attn_softcap`.
Reference gemma3_reference(const TinyShape& s, const Weights& w, const std::vector<int64_t>& ids, int64_t window = 63,
                           bool gemma2 = false, double attn_softcap = 0) {
  const int T = static_cast<int>(ids.size()), H = s.heads, KV = s.kv_heads, d = s.head_dim, group = H / KV;
  const double eps = 1e-6, pi = 3.14159265358979323846;
  auto gelu_tanh = [&](double v) { return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (v + 0.044715 * v * v * v))); };
  Reference ref;
  std::vector<Vec> x(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < s.hidden; ++c) {
      x[t].push_back(w.at("model.embed_tokens.weight", ids[static_cast<size_t>(t)], c) * std::sqrt(double(s.hidden)));
    }
  }
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    TinyShape rope = s;
    rope.theta = layer == 0 || gemma2 ? 10000.0 : 1000000.0;
    Vec inv = reference_inverse_frequencies(rope);
    if (layer == 1 && !gemma2) {
      for (double& f : inv) f /= 2.0;  // linear scaling of the full-attention layer
    }
    std::vector<Vec> q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      const Vec h = rms_plus_one(x[t], w, p + "input_layernorm.weight", eps);
      q[t] = reference_linear(h, w, p + "self_attn.q_proj.weight");
      k[t] = reference_linear(h, w, p + "self_attn.k_proj.weight");
      v[t] = reference_linear(h, w, p + "self_attn.v_proj.weight");
      for (int j = 0; j < H; ++j) {
        const Vec n = gemma2 ? Vec(q[t].begin() + j * d, q[t].begin() + (j + 1) * d)
                             : rms_plus_one(Vec(q[t].begin() + j * d, q[t].begin() + (j + 1) * d), w,
                                            p + "self_attn.q_norm.weight", eps);
        std::copy(n.begin(), n.end(), q[t].begin() + j * d);
        reference_rotate(&q[t][static_cast<size_t>(j * d)], d, t, inv);
      }
      for (int j = 0; j < KV; ++j) {
        const Vec n = gemma2 ? Vec(k[t].begin() + j * d, k[t].begin() + (j + 1) * d)
                             : rms_plus_one(Vec(k[t].begin() + j * d, k[t].begin() + (j + 1) * d), w,
                                            p + "self_attn.k_norm.weight", eps);
        std::copy(n.begin(), n.end(), k[t].begin() + j * d);
        reference_rotate(&k[t][static_cast<size_t>(j * d)], d, t, inv);
      }
    }
    std::vector<Vec> concat;
    ref.abs_scores.emplace_back();
    ref.maps.push_back(attend_heads(q, k, v, H, KV, d, 1.0 / std::sqrt(4.0), &concat,  // query_pre_attn_scalar 4
                                    layer == 0 ? window : 0, &ref.abs_scores.back(), attn_softcap));
    for (int t = 0; t < T; ++t) {
      const Vec attn = rms_plus_one(reference_linear(concat[t], w, p + "self_attn.o_proj.weight"), w,
                                    p + "post_attention_layernorm.weight", eps);
      Vec y = x[t];
      for (int c = 0; c < s.hidden; ++c) y[c] += attn[c];
      const Vec h2 = rms_plus_one(y, w, p + "pre_feedforward_layernorm.weight", eps);
      const Vec gate = reference_linear(h2, w, p + "mlp.gate_proj.weight"), up = reference_linear(h2, w, p + "mlp.up_proj.weight");
      Vec act(gate.size());
      for (size_t i = 0; i < gate.size(); ++i) act[i] = gelu_tanh(gate[i]) * up[i];  // GeGLU
      const Vec mlp = rms_plus_one(reference_linear(act, w, p + "mlp.down_proj.weight"), w,
                                   p + "post_feedforward_layernorm.weight", eps);
      for (int c = 0; c < s.hidden; ++c) y[c] += mlp[c];
      x[t] = y;
    }
  }
  for (int t = 0; t < T; ++t) {
    Vec logits = reference_linear(rms_plus_one(x[t], w, "model.norm.weight", eps), w, "model.embed_tokens.weight");
    for (double& l : logits) l = 3.0 * std::tanh(l / 3.0);  // final_logit_softcapping
    ref.logits.push_back(logits);
  }
  return ref;
}

// ---- Gemma 2 ----

// Two layers: 0 slides (HF's default layer_types: layer i slides when i + 1 is odd), 1 is full; one RoPE base; scores
// soft-capped at `softcap` (small, so that it bites: the random weights' scores reach several units).
std::string gemma2_config(const TinyShape& s, int64_t window = 63, double softcap = 1.5) {
  return "{\"model_type\": \"gemma2\", \"hidden_size\": " + std::to_string(s.hidden) +
         ", \"intermediate_size\": " + std::to_string(s.inter) + ", \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": " + std::to_string(s.heads) + ", \"num_key_value_heads\": " +
         std::to_string(s.kv_heads) + ", \"head_dim\": " + std::to_string(s.head_dim) + ", \"vocab_size\": " +
         std::to_string(s.vocab) + ", \"max_position_embeddings\": " + std::to_string(s.max_positions) +
         ", \"rms_norm_eps\": 1e-06, \"hidden_activation\": \"gelu_pytorch_tanh\", \"query_pre_attn_scalar\": 4, "
         "\"final_logit_softcapping\": 3.0, \"attn_logit_softcapping\": " + std::to_string(softcap) +
         ", \"sliding_window\": " + std::to_string(window) + ", \"rope_theta\": 10000.0}";
}

// Gemma 3's tensors without the q/k norms.
Weights gemma2_weights(const TinyShape& s, uint32_t seed) {
  Weights w = gemma3_weights(s, seed);
  for (int l = 0; l < 2; ++l) {
    for (const char* n : {"q_norm", "k_norm"}) {
      const std::string name = "model.layers." + std::to_string(l) + ".self_attn." + n + ".weight";
      w.shapes.erase(name);
      w.values.erase(name);
    }
  }
  return w;
}

// ---- GPT-2 ----

Weights gpt2_weights(const TinyShape& s, const std::string& root, uint32_t seed) {
  std::mt19937 rng(seed);
  Weights w;
  const int64_t h = s.hidden;
  w.add(root + "wte.weight", {s.vocab, h}, rng, 1.0);
  w.add(root + "wpe.weight", {s.max_positions, h}, rng, 0.5);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = root + "h." + std::to_string(l) + ".";
    for (const char* ln : {"ln_1", "ln_2"}) {
      w.add(p + ln + ".weight", {h}, rng, 0.1, 1.0);
      w.add(p + ln + ".bias", {h}, rng, 0.1);
    }
    w.add(p + "attn.c_attn.weight", {h, 3 * h}, rng, 0.4);  // Conv1D: [in, out]
    w.add(p + "attn.c_attn.bias", {3 * h}, rng, 0.3);
    w.add(p + "attn.c_proj.weight", {h, h}, rng, 0.3);
    w.add(p + "attn.c_proj.bias", {h}, rng, 0.3);
    w.add(p + "mlp.c_fc.weight", {h, s.inter}, rng, 0.3);
    w.add(p + "mlp.c_fc.bias", {s.inter}, rng, 0.3);
    w.add(p + "mlp.c_proj.weight", {s.inter, h}, rng, 0.3);
    w.add(p + "mlp.c_proj.bias", {h}, rng, 0.3);
  }
  w.add(root + "ln_f.weight", {h}, rng, 0.1, 1.0);
  w.add(root + "ln_f.bias", {h}, rng, 0.1);
  return w;
}

std::string gpt2_config(const TinyShape& s) {
  return "{\"model_type\": \"gpt2\", \"n_embd\": " + std::to_string(s.hidden) + ", \"n_head\": " +
         std::to_string(s.heads) + ", \"n_layer\": " + std::to_string(s.layers) + ", \"n_positions\": " +
         std::to_string(s.max_positions) + ", \"n_inner\": " + std::to_string(s.inter) + ", \"vocab_size\": " +
         std::to_string(s.vocab) + ", \"layer_norm_epsilon\": 1e-05, \"activation_function\": \"gelu_new\"}";
}

Vec layer_norm(const Vec& x, const Weights& w, const std::string& name, double eps) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());  // biased, as torch's layer_norm
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    out[i] = (x[i] - mean) / std::sqrt(var + eps) * w.at(name + ".weight", static_cast<int64_t>(i)) +
             w.at(name + ".bias", static_cast<int64_t>(i));
  }
  return out;
}

// Conv1D: out = x W + b with W stored [in, out].
Vec conv1d(const Vec& x, const Weights& w, const std::string& name) {
  const int64_t out_n = w.shapes.at(name + ".weight")[1];
  Vec out(static_cast<size_t>(out_n));
  for (int64_t o = 0; o < out_n; ++o) {
    double v = w.at(name + ".bias", o);
    for (size_t i = 0; i < x.size(); ++i) v += x[i] * w.at(name + ".weight", static_cast<int64_t>(i), o);
    out[static_cast<size_t>(o)] = v;
  }
  return out;
}

Reference gpt2_reference(const TinyShape& s, const Weights& w, const std::string& root, const std::vector<int64_t>& ids) {
  const int T = static_cast<int>(ids.size()), H = s.heads, h = s.hidden, d = h / H;
  const double eps = 1e-5, pi = 3.14159265358979323846;
  Reference ref;
  std::vector<Vec> x(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < h; ++c) {
      x[t].push_back(w.at(root + "wte.weight", ids[static_cast<size_t>(t)], c) + w.at(root + "wpe.weight", t, c));
    }
  }
  for (int layer = 0; layer < s.layers; ++layer) {
    const std::string p = root + "h." + std::to_string(layer) + ".";
    std::vector<Vec> qkv(T);
    for (int t = 0; t < T; ++t) qkv[t] = conv1d(layer_norm(x[t], w, p + "ln_1", eps), w, p + "attn.c_attn");
    std::vector<std::vector<Vec>> maps;
    std::vector<Vec> concat(T, Vec(static_cast<size_t>(h), 0.0));
    for (int j = 0; j < H; ++j) {
      std::vector<Vec> q(T), k(T);
      for (int t = 0; t < T; ++t) {
        q[t] = Vec(qkv[t].begin() + j * d, qkv[t].begin() + (j + 1) * d);
        k[t] = Vec(qkv[t].begin() + h + j * d, qkv[t].begin() + h + (j + 1) * d);
      }
      const std::vector<Vec> A = reference_causal_softmax(q, k, 1.0 / std::sqrt(static_cast<double>(d)));
      for (int i = 0; i < T; ++i)
        for (int c = 0; c <= i; ++c)
          for (int e = 0; e < d; ++e) concat[i][static_cast<size_t>(j * d + e)] += A[i][c] * qkv[c][static_cast<size_t>(2 * h + j * d + e)];
      maps.push_back(A);
    }
    ref.maps.push_back(maps);
    for (int t = 0; t < T; ++t) {
      const Vec attn = conv1d(concat[t], w, p + "attn.c_proj");
      for (int c = 0; c < h; ++c) x[t][c] += attn[c];
      Vec fc = conv1d(layer_norm(x[t], w, p + "ln_2", eps), w, p + "mlp.c_fc");
      for (double& v : fc) v = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (v + 0.044715 * v * v * v)));
      const Vec out = conv1d(fc, w, p + "mlp.c_proj");
      for (int c = 0; c < h; ++c) x[t][c] += out[c];
    }
  }
  for (int t = 0; t < T; ++t) {
    ref.logits.push_back(reference_linear(layer_norm(x[t], w, root + "ln_f", eps), w, root + "wte.weight"));
  }
  return ref;
}

// ---- sliding windows shorter than the prompt ----

// A head's statistics as docs/statistics.md defines them, from its reference map with window W (0: none): entropy
// normalized by the log of the row's key count min(i + 1, W) over the rows with two keys or more; sink a[i][0]; max;
// distance sum_j a[i][j] (i - j); each a mean over rows.
HeadStats reference_stats(const std::vector<Vec>& A, int64_t window) {
  HeadStats s;
  const size_t T = A.size();
  double entropy = 0;
  int entropy_rows = 0;
  for (size_t i = 0; i < T; ++i) {
    const int64_t keys = window > 0 ? std::min<int64_t>(static_cast<int64_t>(i) + 1, window) : static_cast<int64_t>(i) + 1;
    double h = 0, distance = 0;
    for (size_t j = 0; j <= i; ++j) {
      if (A[i][j] > 0) h -= A[i][j] * std::log(A[i][j]);
      distance += A[i][j] * static_cast<double>(i - j);
    }
    if (keys >= 2) {
      entropy += h / std::log(static_cast<double>(keys));
      ++entropy_rows;
    }
    s.sink_mass += A[i][0] / static_cast<double>(T);
    s.max_attention += *std::max_element(A[i].begin(), A[i].end()) / static_cast<double>(T);
    s.distance += distance / static_cast<double>(T);
  }
  s.entropy = entropy / entropy_rows;
  return s;
}

// The mean of a layer's reference maps over heads.
std::vector<Vec> head_mean(const std::vector<std::vector<Vec>>& maps) {
  std::vector<Vec> mean(maps[0].size(), Vec(maps[0].size(), 0.0));
  for (const auto& A : maps)
    for (size_t i = 0; i < A.size(); ++i)
      for (size_t j = 0; j < A.size(); ++j) mean[i][j] += A[i][j] / static_cast<double>(maps.size());
  return mean;
}

// Everything a run gives for a prompt longer than some layer's window, against the band-masked reference `ref`
// (windows[l]: layer l's window, 0 for none): explicit and fused logits and maps (check_runs), each head's
// statistics, the logit outliers (top-1, and the median over H sum_i min(i + 1, W) entries, within the histogram's
// bin width), the overviews, windows of a head's map and of the head mean from the store, and the rollout of the
// head means.
// Whether statistics are refused on the test device (CUDA with the scan kernels, for what they do not yet do with a
// GPU test behind them: engine/layer_scan.h kCudaScanBandVerified, kCudaScanSoftcapVerified): then the refusal is
// checked and the tests run everything else.
bool statistics_refused(const Model& model, const std::vector<int64_t>& ids) {
  try {
    (void)model.run(tokens_from_ids(ids), CaptureRequest{});
    return false;
  } catch (const InputError& e) {
    CHECK(test_device_name() != "cpu");
    CHECK_THAT(e.what(), Catch::Contains("not supported on CUDA yet") && Catch::Contains("--device cpu"));
    WARN("statistics of sliding layers refused on " << test_device_name() << ": " << e.what());
    return true;
  }
}

void check_windowed_run(const Model& model, const std::vector<int64_t>& ids, const Reference& ref,
                        const std::vector<int64_t>& windows) {
  const bool statistics = !statistics_refused(model, ids);
  const AttentionSnapshot fast = check_runs(model, ids, ref, statistics);
  const int64_t T = static_cast<int64_t>(ids.size());
  REQUIRE(fast.store);
  for (size_t l = 0; l < ref.maps.size(); ++l) {
    const LayerCapture& layer = fast.layers[l];
    for (size_t h = 0; h < ref.maps[l].size() && statistics; ++h) {
      INFO("layer " << l << " (window " << windows[l] << ") head " << h);
      const std::vector<Vec>& A = ref.maps[l][h];
      const HeadStats want = reference_stats(A, windows[l]);
      const HeadStats& got = layer.stats_attn[h];
      CHECK(got.entropy == Approx(want.entropy).margin(1e-4));
      CHECK(got.sink_mass == Approx(want.sink_mass).margin(1e-5));
      CHECK(got.max_attention == Approx(want.max_attention).margin(1e-5));
      CHECK(got.distance == Approx(want.distance).margin(1e-4));
      REQUIRE(layer.overview.cell == 1);  // a short prompt: the overview is the map
      CHECK(max_abs_diff(layer.overview.attn[h], A) <= 1e-5);
    }
    for (size_t h = 0; h < ref.maps[l].size(); ++h) {
      INFO("layer " << l << " (window " << windows[l] << ") head " << h);
      const std::vector<Vec>& A = ref.maps[l][h];
      MapWindow whole;
      whole.layer = static_cast<int>(l);
      whole.head = static_cast<int>(h);
      CHECK(max_abs_diff(fast.store->window(whole), A) <= 1e-5);
      MapWindow part = whole;  // rows 5..T-1 over keys 1..6
      part.row_begin = 5, part.col_begin = 1, part.col_end = 7;
      std::vector<Vec> want_part;
      for (int64_t i = 5; i < T; ++i) want_part.emplace_back(A[static_cast<size_t>(i)].begin() + 1, A[static_cast<size_t>(i)].begin() + 7);
      CHECK(max_abs_diff(fast.store->window(part), want_part) <= 1e-5);
    }
    INFO("layer " << l << " (window " << windows[l] << ")");
    MapWindow mean;
    mean.layer = static_cast<int>(l);
    mean.head = kMeanOfHeads;
    CHECK(max_abs_diff(fast.store->window(mean), head_mean(ref.maps[l])) <= 1e-5);
    if (!statistics) continue;
    Vec scores = ref.abs_scores[l];
    const int64_t W = windows[l] > 0 ? std::min(windows[l], T) : T;
    REQUIRE(scores.size() == static_cast<size_t>(ref.maps[l].size() * (W * (W + 1) / 2 + (T - W) * W)));
    std::sort(scores.begin(), scores.end());
    CHECK(layer.attn_logits.top1 == Approx(scores.back()).epsilon(1e-5));
    if (scores.size() >= 10) CHECK(layer.attn_logits.top10 == Approx(scores[scores.size() - 10]).epsilon(1e-5));
    CHECK(layer.attn_logits.median == Approx(scores[(scores.size() - 1) / 2]).epsilon(0.012));  // the histogram: within 0.78 %
  }
  // Rollout through the head means: R_l = (A_l / 2 + I / 2) R_(l-1), R_0 = A_0 / 2 + I / 2.
  CaptureRequest with_rollout;
  with_rollout.rollout = true;
  with_rollout.statistics = with_rollout.overviews = statistics;
  const AttentionSnapshot rolled = model.run(tokens_from_ids(ids), with_rollout);
  std::vector<Vec> R;
  for (size_t l = 0; l < ref.maps.size(); ++l) {
    std::vector<Vec> mixed = head_mean(ref.maps[l]);
    for (size_t i = 0; i < mixed.size(); ++i) {
      for (double& v : mixed[i]) v *= 0.5;
      mixed[i][i] += 0.5;
    }
    if (!R.empty()) {
      std::vector<Vec> product(mixed.size(), Vec(mixed.size(), 0.0));
      for (size_t i = 0; i < mixed.size(); ++i)
        for (size_t k = 0; k < mixed.size(); ++k)
          for (size_t j = 0; j < mixed.size(); ++j) product[i][j] += mixed[i][k] * R[k][j];
      mixed = product;
    }
    R = mixed;
    INFO("rollout through layer " << l);
    CHECK(max_abs_diff(rolled.layers[l].rollout, R) <= 1e-5);
  }
}

// Greedy generation past the window through the KV cache: each new token is the reference's argmax for the sequence
// so far, and each step's map rows (every head of every layer) are the reference's last rows.
void check_windowed_generation(const Model& model, const std::vector<int64_t>& prompt,
                               const std::function<Reference(const std::vector<int64_t>&)>& reference) {
  GenerationOptions options;
  options.max_new_tokens = 4;
  options.stop_ids = std::vector<int64_t>{};
  CaptureRequest all_maps;  // no statistics: the steps capture none, and the prompt's are checked elsewhere
  all_maps.attention = CaptureRequest::Attention::Explicit;
  all_maps.statistics = all_maps.overviews = false;
  const Generation gen = model.generate(tokens_from_ids(prompt), options, all_maps);
  REQUIRE(gen.steps.size() == 4);
  CaptureRequest no_maps = all_maps;  // the fused steps (no softmax maps formed): the same tokens
  no_maps.attention = CaptureRequest::Attention::Fused;
  no_maps.maps = CaptureRequest::Maps::None;
  const Generation fused = model.generate(tokens_from_ids(prompt), options, no_maps);
  REQUIRE(fused.steps.size() == 4);
  for (size_t k = 0; k < 4; ++k) CHECK(fused.steps[k].id == gen.steps[k].id);
  std::vector<int64_t> sequence = prompt;
  for (size_t k = 0; k < gen.steps.size(); ++k) {
    const Reference ref = reference(sequence);
    const Vec& last = ref.logits.back();
    INFO("step " << k << " after " << sequence.size() << " tokens");
    CHECK(gen.steps[k].id == std::max_element(last.begin(), last.end()) - last.begin());
    sequence.push_back(gen.steps[k].id);
    if (k + 1 == gen.steps.size()) break;  // the last token gets no forward pass
    const Reference with_it = reference(sequence);
    for (size_t l = 0; l < with_it.maps.size(); ++l)
      for (size_t h = 0; h < with_it.maps[l].size(); ++h) {
        INFO("layer " << l << " head " << h);
        REQUIRE(gen.steps[k].rows.size() == with_it.maps.size());
        CHECK(max_abs_diff(gen.steps[k].rows[l].attn[h], {with_it.maps[l][h].back()}) <= 1e-4);
      }
  }
}

}  // namespace

TEST_CASE("qwen2, qwen3, mistral, olmo2 and phi3 checkpoints equal a direct implementation of their modeling files",
          "[families]") {
  SECTION("qwen2: q/k/v biases, o_proj without") { check_family({"qwen2", true, false}, 3); }
  SECTION("qwen3: per-head q/k RMSNorm before RoPE") { check_family({"qwen3", false, false, Family::PerHead}, 4); }
  SECTION("qwen3 with attention_bias: every projection biased") {
    check_family({"qwen3", true, true, Family::PerHead, false, ", \"attention_bias\": true"}, 5);
  }
  SECTION("mistral (no sliding_window)") { check_family({"mistral", false, false, Family::None, false, ", \"sliding_window\": null"}, 6); }
  SECTION("olmo2: whole-projection q/k norms, norms after attention and MLP") {
    check_family({"olmo2", false, false, Family::Whole, true}, 7);
  }
  SECTION("phi3: fused qkv_proj and gate_up_proj, RoPE on the first 4 of 6 head dims") {
    // head_dim 6 * 0.6666667 = 4.0000002 -> int 4, as HF's int(head_dim * partial_rotary_factor)
    check_family({"phi3", false, false, Family::None, false, ", \"partial_rotary_factor\": 0.6666667", 4, true}, 10);
  }
  SECTION("phi3 with full RoPE and a sliding_window longer than the prompt") {
    check_family({"phi3", false, false, Family::None, false, ", \"sliding_window\": 63", 0, true}, 11);
  }
}

TEST_CASE("gpt2 checkpoints (with or without the transformer. prefix) equal a direct implementation", "[families]") {
  TinyShape shape = family_shape();
  shape.hidden = 16;
  shape.heads = 4;  // head_dim 4 (a power of 4: HF divides by sqrt(head_dim), the engine multiplies by its inverse)
  for (const std::string root : {"transformer.", ""}) {
    INFO("tensor names prefixed \"" << root << "\" on " << test_device_name());
    const TempDir dir("family-gpt2");
    const Weights weights = gpt2_weights(shape, root, 8);
    write_checkpoint(dir.path(), gpt2_config(shape), weights);
    auto model = Model::load(dir.path(), test_load_options());
    CHECK(model->info().model_type == "gpt2");
    CHECK(model->info().num_parameters == weights.numel());
    CHECK(model->info().tied_embeddings);
    const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
    const Reference ref = gpt2_reference(shape, weights, root, ids);
    check_runs(*model, ids, ref);
    check_scan(*model, ids);
    // Generation through the KV cache: the positions of the new tokens index wpe from the prompt's end.
    GenerationOptions options;
    options.max_new_tokens = 3;
    options.stop_ids = std::vector<int64_t>{};
    const Generation gen = model->generate(tokens_from_ids(ids), options, CaptureRequest{});
    std::vector<int64_t> longer = ids;
    int64_t best = 0;
    for (int64_t v = 1; v < shape.vocab; ++v) {
      if (ref.logits.back()[static_cast<size_t>(v)] > ref.logits.back()[static_cast<size_t>(best)]) best = v;
    }
    REQUIRE(gen.steps.size() == 3);
    CHECK(gen.steps[0].id == best);  // greedy: the reference's argmax after the prompt
    longer.push_back(gen.steps[0].id);
    const Reference next = gpt2_reference(shape, weights, root, longer);
    int64_t best2 = 0;
    for (int64_t v = 1; v < shape.vocab; ++v) {
      if (next.logits.back()[static_cast<size_t>(v)] > next.logits.back()[static_cast<size_t>(best2)]) best2 = v;
    }
    CHECK(gen.steps[1].id == best2);
  }
}

TEST_CASE("gemma3_text checkpoints equal a direct implementation of Gemma 3's modeling file", "[families]") {
  const TinyShape shape = family_shape();
  const TempDir dir("family-gemma3");
  const Weights weights = gemma3_weights(shape, 12);
  write_checkpoint(dir.path(), gemma3_config(shape), weights);
  auto model = Model::load(dir.path(), test_load_options());
  CHECK(model->info().model_type == "gemma3_text");
  CHECK(model->info().num_parameters == weights.numel());
  CHECK(model->info().max_positions == shape.max_positions);  // the window masks within the context
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  const Reference ref = gemma3_reference(shape, weights, ids);
  const AttentionSnapshot fast = check_runs(*model, ids, ref);  // SDPA with the family's scale, and the scan
  check_scan(*model, ids);  // the head-effect scan through the sliding and full layers' own RoPE
  // The scan's statistics use the same scale: each head's max attention equals the reference maps' row maxima mean.
  for (int layer = 0; layer < 2; ++layer)
    for (int h = 0; h < shape.heads; ++h) {
      double mean_max = 0;
      for (const Vec& row : ref.maps[static_cast<size_t>(layer)][static_cast<size_t>(h)]) {
        mean_max += *std::max_element(row.begin(), row.end());
      }
      mean_max /= static_cast<double>(ids.size());
      CHECK(fast.layers[static_cast<size_t>(layer)].stats_attn[static_cast<size_t>(h)].max_attention ==
            Approx(mean_max).margin(1e-4));
    }
}

TEST_CASE("gemma2 checkpoints equal a direct implementation of Gemma 2's modeling file (soft-capped scores)",
          "[families]") {
  const TinyShape shape = family_shape();
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  const Weights weights = gemma2_weights(shape, 14);
  SECTION("window longer than the prompt") {
    const TempDir dir("family-gemma2");
    write_checkpoint(dir.path(), gemma2_config(shape), weights);
    auto model = Model::load(dir.path(), test_load_options());
    CHECK(model->info().model_type == "gemma2");
    CHECK(model->info().num_parameters == weights.numel());
    const Reference ref = gemma3_reference(shape, weights, ids, 63, true, 1.5);
    // The cap bites: some raw score exceeds it, so a run without it would not match.
    const Reference uncapped = gemma3_reference(shape, weights, ids, 63, true, 0.0);
    CHECK(*std::max_element(uncapped.abs_scores[0].begin(), uncapped.abs_scores[0].end()) > 1.5);
    check_runs(*model, ids, ref, !statistics_refused(*model, ids));  // refused on CUDA until GPU-tested (layer_scan.h)
    check_scan(*model, ids);  // the head-effect scan's batched forward caps too
  }
  SECTION("layer 0's window of 4 shorter than the prompt") {
    const TempDir dir("family-gemma2-window");
    write_checkpoint(dir.path(), gemma2_config(shape, 4), weights);
    auto model = Model::load(dir.path(), test_load_options());
    const Reference ref = gemma3_reference(shape, weights, ids, 4, true, 1.5);
    check_windowed_run(*model, ids, ref, {4, 0});
    check_windowed_generation(*model, std::vector<int64_t>(ids.begin(), ids.begin() + 6),
                              [&](const std::vector<int64_t>& seq) {
                                return gemma3_reference(shape, weights, seq, 4, true, 1.5);
                              });
  }
}

TEST_CASE("gemma2 configs: HF's defaults for the soft caps and layer types; null turns a cap off", "[families]") {
  const TinyShape shape = family_shape();
  auto config_of = [&](const std::string& text) {
    const TempDir dir("family-gemma2-config");
    write_checkpoint(dir.path(), text, gemma2_weights(shape, 3));
    return Model::load(dir.path(), test_load_options())->info();
  };
  std::string text = gemma2_config(shape, 4);
  const std::string cap = "\"attn_logit_softcapping\": 1.500000";
  REQUIRE(text.find(cap) != std::string::npos);
  CHECK(config_of(text).layer_windows == std::vector<int64_t>{4, 0});
  const std::string defaulted = std::string(text).replace(text.find(cap), cap.size(), "\"unused\": 0");
  CHECK(config_of(defaulted).layer_windows == std::vector<int64_t>{4, 0});
  const ModelConfig absent = parse_model_config(defaulted, "config.json");
  CHECK(absent.attn_logit_softcap == 50.0);  // Gemma2Config's default
  const ModelConfig off = parse_model_config(std::string(text).replace(text.find(cap), cap.size(),
                                                                       "\"attn_logit_softcapping\": null"), "c.json");
  CHECK(off.attn_logit_softcap == 0.0);
  CHECK(off.final_logit_softcap == 3.0);
  CHECK_THROWS_WITH(parse_model_config(std::string(text).replace(text.find(cap), cap.size(),
                                                                 "\"attn_logit_softcapping\": -1"), "c.json"),
                    Catch::Contains("attn_logit_softcapping must not be negative"));
}

TEST_CASE("family configs refuse what the engine does not compute, naming the field", "[families]") {
  const TinyShape shape = family_shape();
  auto refused = [&](const Family& f, const std::string& says) {
    const TempDir dir("family-refused");
    write_checkpoint(dir.path(), family_config(f, shape), family_weights(f, shape, 1));
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()), Catch::Contains(says));
  };
  refused({"qwen3_moe"}, "mixture of experts");
  refused({"gemma3"}, "image-and-text model");
  {  // Gemma 3 with attn_logit_softcapping set: capped as Gemma 2 (session 8; it was refused before), negative refused
    const std::string base = gemma3_config(shape);
    const std::string null_cap = "\"attn_logit_softcapping\": null";
    std::string capped = base;
    capped.replace(capped.find(null_cap), null_cap.size(), "\"attn_logit_softcapping\": 50.0");
    CHECK(parse_model_config(base, "c.json").attn_logit_softcap == 0.0);
    CHECK(parse_model_config(capped, "c.json").attn_logit_softcap == 50.0);
    std::string negative = base;
    negative.replace(negative.find(null_cap), null_cap.size(), "\"attn_logit_softcapping\": -2");
    CHECK_THROWS_WITH(parse_model_config(negative, "c.json"),
                      Catch::Contains("attn_logit_softcapping must not be negative"));
  }
  refused({"gpt_neox"}, "unknown model_type \"gpt_neox\"");
  // GPT-2 options the engine does not compute.
  const TempDir dir2("family-gpt2-refused");
  const std::string base = gpt2_config(shape);
  write_checkpoint(dir2.path(), base.substr(0, base.size() - 1) + ", \"scale_attn_by_inverse_layer_idx\": true}",
                   gpt2_weights(shape, "transformer.", 1));
  CHECK_THROWS_WITH(Model::load(dir2.path(), test_load_options()), Catch::Contains("scale_attn_by_inverse_layer_idx"));
  write_checkpoint(dir2.path(), base.substr(0, base.size() - 1) + ", \"activation_function\": \"relu\"}",
                   gpt2_weights(shape, "transformer.", 1));
  CHECK_THROWS_WITH(Model::load(dir2.path(), test_load_options()), Catch::Contains("activation_function \"relu\""));
  // A qwen3 folder without its q_norm: the tensor is named.
  const TempDir dir("family-missing");
  Weights w = family_weights({"qwen3", false, false, Family::PerHead}, shape, 2);
  w.shapes.erase("model.layers.1.self_attn.q_norm.weight");
  w.values.erase("model.layers.1.self_attn.q_norm.weight");
  write_checkpoint(dir.path(), family_config({"qwen3"}, shape), w);
  CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()), Catch::Contains("model.layers.1.self_attn.q_norm.weight"));
}

TEST_CASE("sliding windows shorter than the prompt: maps, logits, statistics, windows, rollout and generation equal "
          "the band-masked reference", "[families][window]") {
  const TinyShape shape = family_shape();
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};  // 11 tokens
  auto check = [&](Family f, uint32_t seed) {
    INFO("model_type " << f.type << f.extra_config << " on " << test_device_name());
    const TempDir dir("family-window-" + f.type);
    const Weights weights = family_weights(f, shape, seed);
    write_checkpoint(dir.path(), family_config(f, shape), f.fused ? fused_file(weights, shape.layers) : weights);
    auto model = Model::load(dir.path(), test_load_options());
    CHECK(model->info().max_positions == shape.max_positions);  // the window no longer caps the context
    std::vector<int64_t> windows;
    for (int l = 0; l < shape.layers; ++l) windows.push_back(f.window_of(l));
    check_windowed_run(*model, ids, reference_forward(f, shape, weights, ids), windows);
    check_scan(*model, ids);  // the head-effect scan's batched layers apply the band too
    check_windowed_generation(*model, std::vector<int64_t>(ids.begin(), ids.begin() + 6),
                              [&](const std::vector<int64_t>& seq) { return reference_forward(f, shape, weights, seq); });
  };
  SECTION("mistral: every layer, window 4") {
    Family f{"mistral", false, false, Family::None, false, ", \"sliding_window\": 4"};
    f.window = 4;
    check(f, 21);
  }
  SECTION("qwen2 with use_sliding_window: the layers from max_window_layers (1) on, window 3") {
    Family f{"qwen2", true, false, Family::None, false,
             ", \"use_sliding_window\": true, \"sliding_window\": 3, \"max_window_layers\": 1"};
    f.window = 3;
    f.sliding = {false, true};
    check(f, 22);
  }
  SECTION("qwen3 with layer_types: layer 0 slides, window 5") {
    Family f{"qwen3", false, false, Family::PerHead, false,
             ", \"use_sliding_window\": true, \"sliding_window\": 5, \"layer_types\": [\"sliding_attention\", "
             "\"full_attention\"]"};
    f.window = 5;
    f.sliding = {true, false};
    check(f, 23);
  }
  SECTION("phi3: every layer, window 2") {
    Family f{"phi3", false, false, Family::None, false, ", \"sliding_window\": 2", 0, true};
    f.window = 2;
    check(f, 24);
  }
  SECTION("mistral: a window of 1 (each token sees only itself)") {
    Family f{"mistral", false, false, Family::None, false, ", \"sliding_window\": 1"};
    f.window = 1;
    const TempDir dir("family-window-one");
    const Weights weights = family_weights(f, shape, 25);
    write_checkpoint(dir.path(), family_config(f, shape), weights);
    auto model = Model::load(dir.path(), test_load_options());
    const Reference ref = reference_forward(f, shape, weights, ids);
    const bool statistics = !statistics_refused(*model, ids);
    const AttentionSnapshot fast = check_runs(*model, ids, ref, statistics);
    for (const LayerCapture& layer : fast.layers) {
      if (!statistics) break;
      for (const HeadStats& st : layer.stats_attn) {
        CHECK(std::isnan(st.entropy));  // no row has two keys
        CHECK(st.max_attention == Approx(1.0));
        CHECK(st.sink_mass == Approx(1.0 / static_cast<double>(ids.size())));  // row 0 only
        CHECK(st.distance == Approx(0.0).margin(1e-7));
      }
    }
  }
}

TEST_CASE("gemma3_text: the local layer's window shorter than the prompt", "[families][window]") {
  const TinyShape shape = family_shape();
  const TempDir dir("family-gemma3-window");
  const Weights weights = gemma3_weights(shape, 13);
  write_checkpoint(dir.path(), gemma3_config(shape, 4), weights);
  auto model = Model::load(dir.path(), test_load_options());
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  check_windowed_run(*model, ids, gemma3_reference(shape, weights, ids, 4), {4, 0});
  check_scan(*model, ids);
  check_windowed_generation(*model, std::vector<int64_t>(ids.begin(), ids.begin() + 6),
                            [&](const std::vector<int64_t>& seq) { return gemma3_reference(shape, weights, seq, 4); });
}

TEST_CASE("qwen configs: sliding layers need use_sliding_window and a window", "[families][window]") {
  const TinyShape shape = family_shape();
  auto refused = [&](const std::string& extra, const std::string& says) {
    const Family f{"qwen3", false, false, Family::PerHead, false, extra};
    const TempDir dir("family-window-refused");
    write_checkpoint(dir.path(), family_config(f, shape), family_weights(f, shape, 1));
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()), Catch::Contains(says));
  };
  refused(", \"layer_types\": [\"full_attention\", \"sliding_attention\"]",
          "layer_types names \"sliding_attention\" layers but use_sliding_window is false");
  refused(", \"use_sliding_window\": true, \"sliding_window\": null, \"max_window_layers\": 0",
          "sliding_window is null");
  refused(", \"layer_types\": [\"full_attention\"]", "layer_types must list one type per layer (2)");
  // use_sliding_window with every layer below max_window_layers (Qwen 2.5's published configs): no layer slides.
  const Family f{"qwen2", true, false, Family::None, false,
                 ", \"use_sliding_window\": true, \"sliding_window\": 3, \"max_window_layers\": 2"};
  const TempDir dir("family-window-none");
  const Weights weights = family_weights(f, shape, 26);
  write_checkpoint(dir.path(), family_config(f, shape), weights);
  auto model = Model::load(dir.path(), test_load_options());
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  check_runs(*model, ids, reference_forward(f, shape, weights, ids));  // f.window 0: plain causal reference
}

// ---- each layer's window in ModelInfo, and exports that draw keys outside it as masked ----

TEST_CASE("ModelInfo lists each layer's sliding window as the family's config sets it", "[families][window]") {
  const TinyShape shape = family_shape();  // 2 layers
  auto windows_of = [&](const Family& f, uint32_t seed) {
    const TempDir dir("family-info-" + f.type);
    const Weights weights = family_weights(f, shape, seed);
    write_checkpoint(dir.path(), family_config(f, shape), f.fused ? fused_file(weights, shape.layers) : weights);
    return Model::load(dir.path(), test_load_options())->info().layer_windows;
  };
  using W = std::vector<int64_t>;
  CHECK(windows_of({"llama"}, 1).empty());  // no layer slides: no list
  CHECK(windows_of({"mistral", false, false, Family::None, false, ", \"sliding_window\": 4"}, 2) == W{4, 4});
  CHECK(windows_of({"mistral", false, false, Family::None, false, ", \"sliding_window\": null"}, 3).empty());
  CHECK(windows_of({"mistral"}, 4) == W{4096, 4096});  // absent: MistralConfig's default
  CHECK(windows_of({"qwen2", true, false, Family::None, false,
                    ", \"use_sliding_window\": true, \"sliding_window\": 3, \"max_window_layers\": 1"}, 5) == W{0, 3});
  CHECK(windows_of({"qwen2", true, false, Family::None, false, ", \"sliding_window\": 3"}, 6).empty());  // not used
  CHECK(windows_of({"qwen3", false, false, Family::PerHead, false,
                    ", \"use_sliding_window\": true, \"sliding_window\": 5, \"layer_types\": [\"sliding_attention\", "
                    "\"full_attention\"]"}, 7) == W{5, 0});
  CHECK(windows_of({"phi3", false, false, Family::None, false, ", \"sliding_window\": 63", 0, true}, 8) == W{63, 63});
  const TempDir dir("family-info-gemma3");
  write_checkpoint(dir.path(), gemma3_config(shape, 4), gemma3_weights(shape, 9));
  CHECK(Model::load(dir.path(), test_load_options())->info().layer_windows == W{4, 0});
}

namespace {

// The masked colour's pixels of a PNG of a T x T map pooled `pool` tokens a cell: true where the pixel is kMaskedGrey.
std::vector<std::vector<bool>> grey_cells(const std::string& path, int64_t cells) {
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
  REQUIRE(data != nullptr);
  REQUIRE(w == cells);
  REQUIRE(h == cells);
  std::vector<std::vector<bool>> grey(static_cast<size_t>(h), std::vector<bool>(static_cast<size_t>(w)));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const unsigned char* p = data + (static_cast<size_t>(y) * w + x) * 3;
      grey[y][x] = p[0] == kMaskedGrey && p[1] == kMaskedGrey && p[2] == kMaskedGrey;
    }
  stbi_image_free(data);
  return grey;
}

// Which cells of a T-token map pooled `pool` a side no query sees, from the band's definition (query i sees key j when
// i - W < j <= i; W = 0: every j <= i), by trying every pair of the cell.
std::vector<std::vector<bool>> unseen_cells(int64_t T, int64_t pool, int64_t window) {
  const int64_t n = (T + pool - 1) / pool;
  std::vector<std::vector<bool>> unseen(static_cast<size_t>(n), std::vector<bool>(static_cast<size_t>(n), true));
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      if (window > 0 && i - j >= window) continue;
      unseen[static_cast<size_t>(i / pool)][static_cast<size_t>(j / pool)] = false;
    }
  return unseen;
}

}  // namespace

TEST_CASE("PNG exports of a windowed model draw exactly the keys outside each layer's window in the masked grey",
          "[families][window]") {
  const TinyShape shape = family_shape();
  // qwen2: layer 0 attends to every earlier token, layer 1 to the last 3; 11 tokens, longer than the window.
  Family f{"qwen2", true, false, Family::None, false,
           ", \"use_sliding_window\": true, \"sliding_window\": 3, \"max_window_layers\": 1"};
  const TempDir dir("family-window-png");
  write_checkpoint(dir.path(), family_config(f, shape), family_weights(f, shape, 31));
  auto model = Model::load(dir.path(), test_load_options());
  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12, 3, 3};
  const int64_t T = static_cast<int64_t>(ids.size());
  const std::vector<int64_t> windows = {0, 3};
  CaptureRequest request;
  const AttentionSnapshot snap = model->run(tokens_from_ids(ids), request);
  REQUIRE(snap.store);

  const std::string dense_dir = dir.path() + "/dense";
  write_map_pngs(dense_dir, snap);  // the CLI's --png: whole maps from the snapshot
  const std::string streamed_dir = dir.path() + "/streamed";
  MapWindow pooled;
  pooled.pool = 3;  // cells of 3 x 3 tokens: a cell is masked only when no pair of it is seen
  std::vector<HeadRef> heads;
  for (int l = 0; l < shape.layers; ++l)
    for (int h = 0; h < shape.heads; ++h) heads.push_back({l, h});
  stream_map_pngs(streamed_dir, snap, heads, MapWindow{}, PngSelection{});
  stream_map_pngs(streamed_dir + "_pooled", snap, heads, pooled, PngSelection{});
  for (int l = 0; l < shape.layers; ++l)
    for (int h = 0; h < shape.heads; ++h) {
      INFO("layer " << l << " (window " << windows[l] << ") head " << h);
      const std::string name = "/layer" + std::to_string(l) + "_head" + std::to_string(h) + "_attn.png";
      CHECK(grey_cells(dense_dir + name, T) == unseen_cells(T, 1, windows[l]));
      CHECK(grey_cells(streamed_dir + name, T) == unseen_cells(T, 1, windows[l]));
      CHECK(grey_cells(streamed_dir + "_pooled" + name, 4) == unseen_cells(T, 3, windows[l]));
    }
}
