// Tests of Differential Transformer V2 (docs/diff-v2.md): a tiny random V2 checkpoint (tests/support) is run through
// the engine and compared with a direct double-precision implementation of the formula; plus load errors. Main thread;
// device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "errors.h"
#include "export.h"
#include "model.h"
#include "safetensors.h"
#include "temp_dir.h"
#include "test_device.h"
#include "reference_math.h"
#include "tiny_v2_checkpoint.h"
#include "tokenizer.h"

using namespace diffscope;
using namespace diffscope::testing;

namespace {


// ---- The reference: the V2 formula written out directly, in double, one token row at a time. ----

struct Reference {
  std::vector<Vec> logits;                    // [T][V]
  std::vector<std::vector<std::vector<Vec>>> a1, a2, diff;  // [layer][diff head][row][col]
  std::vector<std::vector<Vec>> lambda;       // [layer][diff head][row]
};

Vec rms_norm(const Vec& x, const Weights& w, const std::string& name, double eps) {
  return reference_rms_norm(x, w, name, eps);
}
Vec linear(const Vec& x, const Weights& w, const std::string& name) { return reference_linear(x, w, name); }

Reference reference_forward(const TinyShape& s, const Weights& w, const std::vector<int64_t>& ids) {
  const int T = static_cast<int>(ids.size()), H = s.heads, KV = s.kv_heads, d = s.head_dim, half = H / 2;
  const int group = H / KV;
  const Vec inv = reference_inverse_frequencies(s);
  Reference ref;
  std::vector<Vec> x(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < s.hidden; ++c) x[t].push_back(w.at("model.embed_tokens.weight", ids[static_cast<size_t>(t)], c));
  }
  for (int layer = 0; layer < s.layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer);
    std::vector<Vec> hn(T), q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      hn[t] = rms_norm(x[t], w, p + ".input_layernorm.weight", s.eps);
      q[t] = linear(hn[t], w, p + ".self_attn.q_proj.weight");
      k[t] = linear(hn[t], w, p + ".self_attn.k_proj.weight");
      v[t] = linear(hn[t], w, p + ".self_attn.v_proj.weight");
      for (int j = 0; j < H; ++j) reference_rotate(&q[t][static_cast<size_t>(j * d)], d, t, inv);
      for (int j = 0; j < KV; ++j) reference_rotate(&k[t][static_cast<size_t>(j * d)], d, t, inv);
    }
    // Softmax map of every sub-head j over keys 0..i of KV head j / group.
    std::vector<std::vector<Vec>> A(H, std::vector<Vec>(T, Vec(T, 0.0)));
    for (int j = 0; j < H; ++j) {
      const int kv = j / group;
      for (int i = 0; i < T; ++i) {
        Vec score(static_cast<size_t>(i + 1));
        double top = -INFINITY;
        for (int c = 0; c <= i; ++c) {
          double dot = 0;
          for (int e = 0; e < d; ++e) dot += q[i][static_cast<size_t>(j * d + e)] * k[c][static_cast<size_t>(kv * d + e)];
          score[c] = dot / std::sqrt(static_cast<double>(d));
          top = std::max(top, score[c]);
        }
        double sum = 0;
        for (int c = 0; c <= i; ++c) sum += std::exp(score[c] - top);
        for (int c = 0; c <= i; ++c) A[j][i][c] = std::exp(score[c] - top) / sum;
      }
    }
    // lambda_{t,h} = sigmoid(hn_t . W_lambda[h]); D_h = A_{2h} - lambda_{i,h} A_{2h+1} by row i; o_h = D_h V_{kv(2h)}.
    std::vector<Vec> lambda(half, Vec(T));
    std::vector<std::vector<Vec>> D(half, std::vector<Vec>(T, Vec(T, 0.0)));
    std::vector<Vec> concat(T, Vec(static_cast<size_t>(half * d), 0.0));
    for (int h = 0; h < half; ++h) {
      const int kv = (2 * h) / group;
      REQUIRE(kv == (2 * h + 1) / group);  // the pair shares its KV head
      for (int i = 0; i < T; ++i) {
        const Vec logit = linear(hn[i], w, p + ".self_attn.lambda_proj.weight");
        lambda[h][i] = 1.0 / (1.0 + std::exp(-logit[static_cast<size_t>(h)]));
        for (int c = 0; c <= i; ++c) {
          D[h][i][c] = A[2 * h][i][c] - lambda[h][i] * A[2 * h + 1][i][c];
          for (int e = 0; e < d; ++e) concat[i][static_cast<size_t>(h * d + e)] += D[h][i][c] * v[c][static_cast<size_t>(kv * d + e)];
        }
      }
    }
    for (int t = 0; t < T; ++t) {
      const Vec o = linear(concat[t], w, p + ".self_attn.o_proj.weight");
      Vec y(x[t]);
      for (int c = 0; c < s.hidden; ++c) y[c] += o[c];
      const Vec h2 = rms_norm(y, w, p + ".post_attention_layernorm.weight", s.eps);
      const Vec gate = linear(h2, w, p + ".mlp.gate_proj.weight"), up = linear(h2, w, p + ".mlp.up_proj.weight");
      Vec act(gate.size());
      for (size_t i = 0; i < gate.size(); ++i) act[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];  // SwiGLU
      const Vec down = linear(act, w, p + ".mlp.down_proj.weight");
      for (int c = 0; c < s.hidden; ++c) y[c] += down[c];
      x[t] = y;
    }
    std::vector<std::vector<Vec>> a1, a2;
    for (int h = 0; h < half; ++h) {
      a1.push_back(A[2 * h]);
      a2.push_back(A[2 * h + 1]);
    }
    ref.a1.push_back(a1);
    ref.a2.push_back(a2);
    ref.diff.push_back(D);
    ref.lambda.push_back(lambda);
  }
  for (int t = 0; t < T; ++t) {
    ref.logits.push_back(linear(rms_norm(x[t], w, "model.norm.weight", s.eps), w,
                                s.tied ? "model.embed_tokens.weight" : "lm_head.weight"));
  }
  return ref;
}

double max_abs_diff(const Matrix& m, const std::vector<Vec>& ref) { return max_abs_difference(m, ref); }

void check_v2_against_reference(const TinyShape& shape, uint32_t seed) {
  const TempDir dir("diff-v2");
  REQUIRE_FALSE(dir.path().empty());
  const Weights weights = random_v2_weights(shape, seed);
  write_checkpoint(dir.path(), v2_config_json(shape), weights);

  auto model = Model::load(dir.path(), test_load_options());
  const ModelInfo& info = model->info();
  CHECK(info.model_type == "diffllama");
  CHECK(info.kind == AttentionKind::Differential);
  CHECK(info.attention_variant == "diff-v2");
  CHECK(info.num_heads == shape.heads / 2);
  CHECK(info.num_sub_heads == shape.heads);
  CHECK(info.num_parameters == weights.numel());

  const std::vector<int64_t> ids = {1, 7, 30, 4, 4, 19, 0, 25, 12};
  const AttentionSnapshot snap = model->run(tokens_from_ids(ids), CaptureRequest{});
  const Reference ref = reference_forward(shape, weights, ids);
  const double bound = 1e-4;  // f32 against double

  Matrix logits = snap.logits;
  CHECK(max_abs_diff(logits, ref.logits) <= bound);
  REQUIRE(static_cast<int>(snap.layers.size()) == shape.layers);
  const int64_t T = static_cast<int64_t>(ids.size());
  for (int layer = 0; layer < shape.layers; ++layer) {
    INFO("layer " << layer);
    const LayerCapture& cap = snap.layers[static_cast<size_t>(layer)];
    CHECK(cap.lambda_init == 0.0);
    REQUIRE(cap.lambda.rows == shape.heads / 2);
    REQUIRE(cap.lambda.cols == T);
    REQUIRE(cap.attn1.size() == static_cast<size_t>(shape.heads / 2));
    for (int h = 0; h < shape.heads / 2; ++h) {
      INFO("diff head " << h);
      const Vec& want = ref.lambda[static_cast<size_t>(layer)][static_cast<size_t>(h)];
      double lo = 1, hi = 0;
      for (int64_t t = 0; t < T; ++t) {
        CHECK(std::fabs(cap.lambda.at(h, t) - want[static_cast<size_t>(t)]) <= bound);
        lo = std::min(lo, want[static_cast<size_t>(t)]);
        hi = std::max(hi, want[static_cast<size_t>(t)]);
      }
      CHECK(hi - lo > 0.05);  // lambda really varies by row in this test
      CHECK(max_abs_diff(cap.attn1[static_cast<size_t>(h)], ref.a1[static_cast<size_t>(layer)][static_cast<size_t>(h)]) <= bound);
      CHECK(max_abs_diff(cap.attn2[static_cast<size_t>(h)], ref.a2[static_cast<size_t>(layer)][static_cast<size_t>(h)]) <= bound);
      CHECK(max_abs_diff(cap.diff[static_cast<size_t>(h)], ref.diff[static_cast<size_t>(layer)][static_cast<size_t>(h)]) <= bound);
    }
    CHECK(cap.stats_diff.size() == static_cast<size_t>(shape.heads / 2));
  }

  // --maps writes lambda [H/2, T] as captured, row-varying values included.
  write_maps_safetensors(dir.file("maps.safetensors"), snap);
  auto maps = SafetensorsFile::open(dir.file("maps.safetensors"));
  const TensorInfo* lambda = maps->find("layer.1.lambda");
  REQUIRE(lambda != nullptr);
  CHECK(lambda->shape == std::vector<int64_t>{shape.heads / 2, T});
  std::vector<float> stored(static_cast<size_t>(lambda->numel()));
  std::memcpy(stored.data(), maps->data(*lambda), stored.size() * sizeof(float));
  CHECK(stored == snap.layers[1].lambda.values);
  REQUIRE(maps->find("layer.0.diff") != nullptr);
  CHECK(maps->find("layer.0.diff")->shape == std::vector<int64_t>{shape.heads / 2, T, T});
}

}  // namespace

TEST_CASE("Diff V2 with GQA groups of 2 matches the direct formula", "[model][v2]") {
  check_v2_against_reference(TinyShape{}, 1234);
}

TEST_CASE("Diff V2 with one KV head, tied embeddings and llama3 RoPE scaling matches the direct formula", "[model][v2]") {
  TinyShape shape;
  shape.kv_heads = 1;  // group size 4: all sub-heads read KV head 0
  shape.tied = true;
  shape.theta = 100.0;  // wavelengths 6.3, 29, 135 across original 16: blended and divided bands
  shape.llama3_factor = 4.0;
  check_v2_against_reference(shape, 99);
}

TEST_CASE("Diff V2 load errors name the tensor and the shapes", "[model][v2][errors]") {
  const TinyShape shape;
  SECTION("an o_proj of the V1 shape [hidden, H * head_dim]") {
    const TempDir dir("diff-v2-oproj");
    Weights w = random_v2_weights(shape, 5);
    std::mt19937 rng(6);
    w.add("model.layers.0.self_attn.o_proj.weight", {shape.hidden, shape.heads * shape.head_dim}, rng, 0.3);
    write_checkpoint(dir.path(), v2_config_json(shape), w);
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()),
                      Catch::Contains("\"model.layers.0.self_attn.o_proj.weight\" has shape [16, 24], expected [16, 12]") &&
                          Catch::Contains("diff_variant \"v2\"") && Catch::Contains("[hidden, H/2 * head_dim]"));
  }
  SECTION("V1 lambda vectors instead of lambda_proj") {
    const TempDir dir("diff-v2-v1lambda");
    Weights w = random_v2_weights(shape, 5);
    std::mt19937 rng(7);
    for (int i = 0; i < shape.layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".self_attn.";
      w.shapes.erase(p + "lambda_proj.weight");
      w.values.erase(p + "lambda_proj.weight");
      for (const char* name : {"lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"}) {
        w.add(p + name, {shape.head_dim}, rng, 0.1);
      }
    }
    write_checkpoint(dir.path(), v2_config_json(shape), w);
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()),
                      Catch::Contains("\"model.layers.0.self_attn.lambda_proj.weight\" is missing (expected shape [2, 16])") &&
                          Catch::Contains("V1 (HF DiffLlama) checkpoint"));
  }
  SECTION("a V2 checkpoint under a V1 config") {
    const TempDir dir("diff-v2-as-v1");
    std::string config = v2_config_json(shape);
    config.replace(config.find("\"v2\""), 4, "\"v1\"");
    write_checkpoint(dir.path(), config, random_v2_weights(shape, 5));
    // o_proj is checked first: V1 expects [hidden, H * head_dim].
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()),
                      Catch::Contains("\"model.layers.0.self_attn.o_proj.weight\" has shape [16, 12], expected [16, 24]") &&
                          Catch::Contains("set \"diff_variant\": \"v2\""));
  }
  SECTION("pairs that would read different KV heads are refused at parse time") {
    const TempDir dir("diff-v2-mha");
    TinyShape mha = shape;
    mha.kv_heads = 4;
    write_checkpoint(dir.path(), v2_config_json(mha), random_v2_weights(mha, 5));
    CHECK_THROWS_AS(Model::load(dir.path(), test_load_options()), CheckpointError);
    CHECK_THROWS_WITH(Model::load(dir.path(), test_load_options()), Catch::Contains("must be even, found 4 / 4"));
  }
}
