// Compares the engine's forward pass with HF transformers on the committed tiny checkpoints (tests/fixtures/hf, made by
// make_fixtures.py): logits, A1, A2, D and lambda. Device from $DIFFSCOPE_TEST_DEVICE (cpu default, or cuda).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"
#include "model.h"
#include "model/model_config.h"
#include "safetensors.h"
#include "max_abs_diff.h"
#include "test_device.h"
#include "tokenizer.h"

using namespace diffscope;
using diffscope::testing::max_abs_diff;

namespace {

std::string test_device() { return test_device_name(); }

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

struct Expected {
  std::unique_ptr<SafetensorsFile> file;
  std::vector<float> floats(const std::string& name, std::vector<int64_t>* shape = nullptr) const {
    const TensorInfo* t = file->find(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->dtype == DType::F32);
    if (shape) *shape = t->shape;
    std::vector<float> v(static_cast<size_t>(t->numel()));
    std::memcpy(v.data(), file->data(*t), v.size() * sizeof(float));
    return v;
  }
  std::vector<Token> tokens() const {
    const TensorInfo* t = file->find("input_ids");
    REQUIRE(t != nullptr);
    std::vector<int64_t> ids(static_cast<size_t>(t->numel()));
    std::memcpy(ids.data(), file->data(*t), ids.size() * sizeof(int64_t));
    return tokens_from_ids(ids);
  }
};

Expected expected_for(const std::string& name) { return Expected{SafetensorsFile::open(fixture(name) + "/expected.safetensors")}; }


struct Bounds {
  double logits, maps, lambda;
};

// f32 must match HF to 1e-4 (the bound). bf16/f16 keep weights and activations in 16 bits: maps to 2e-2,
// logits to 5e-2 (the fixtures' logits are O(0.1-1)), lambda to 1e-2 (exp in float32, one 16-bit rounding).
Bounds bounds_for(const std::string& dtype) {
  if (dtype == "f32") return {1e-4, 1e-4, 1e-5};
  return {5e-2, 2e-2, 1e-2};
}

void check_against_hf(const std::string& name, const std::string& dtype) {
  INFO("fixture " << name << " on " << test_device() << " in " << dtype);
  const Expected ref = expected_for(name);
  LoadOptions options;
  options.device = test_device();
  options.dtype = dtype;
  auto model = Model::load(fixture(name), options);
  const ModelInfo& info = model->info();
  const std::vector<Token> tokens = ref.tokens();
  const int64_t T = static_cast<int64_t>(tokens.size());
  const AttentionSnapshot snap = model->run(tokens, CaptureRequest{});
  const Bounds bound = bounds_for(dtype);

  std::vector<int64_t> logits_shape;
  const std::vector<float> logits = ref.floats("logits", &logits_shape);
  REQUIRE(snap.logits.rows == logits_shape[0]);
  REQUIRE(snap.logits.cols == logits_shape[1]);
  CHECK(max_abs_diff(snap.logits.values, logits) <= bound.logits);

  REQUIRE(static_cast<int>(snap.layers.size()) == info.num_layers);
  const int64_t map_size = T * T;
  for (int layer = 0; layer < info.num_layers; ++layer) {
    INFO("layer " << layer);
    const LayerCapture& cap = snap.layers[static_cast<size_t>(layer)];
    std::vector<int64_t> shape;
    const std::vector<float> hf = ref.floats("attentions." + std::to_string(layer), &shape);
    REQUIRE(shape == std::vector<int64_t>{info.num_sub_heads, T, T});
    if (info.kind == AttentionKind::Standard) {
      REQUIRE(static_cast<int>(cap.attn.size()) == info.num_heads);
      for (int h = 0; h < info.num_heads; ++h) {
        CHECK(max_abs_diff(cap.attn[static_cast<size_t>(h)].values, hf, static_cast<size_t>(h * map_size)) <= bound.maps);
      }
      continue;
    }
    const float hf_lambda = ref.floats("lambda." + std::to_string(layer)).at(0);
    CHECK(cap.lambda_init == Approx(lambda_init_for_layer(layer)));
    REQUIRE(cap.lambda.rows == info.num_heads);
    REQUIRE(cap.lambda.cols == T);
    for (float l : cap.lambda.values) CHECK(std::fabs(l - hf_lambda) <= bound.lambda);
    const int half = info.num_heads;  // diff heads = H/2; A2 of head j is HF sub-head j + H/2
    for (int h = 0; h < half; ++h) {
      INFO("head " << h);
      const size_t a1_at = static_cast<size_t>(h * map_size), a2_at = static_cast<size_t>((h + half) * map_size);
      CHECK(max_abs_diff(cap.attn1[static_cast<size_t>(h)].values, hf, a1_at) <= bound.maps);
      CHECK(max_abs_diff(cap.attn2[static_cast<size_t>(h)].values, hf, a2_at) <= bound.maps);
      std::vector<float> hf_diff(static_cast<size_t>(map_size));
      for (int64_t i = 0; i < map_size; ++i) {
        hf_diff[static_cast<size_t>(i)] = hf[a1_at + static_cast<size_t>(i)] - hf_lambda * hf[a2_at + static_cast<size_t>(i)];
      }
      CHECK(max_abs_diff(cap.diff[static_cast<size_t>(h)].values, hf_diff) <= 2 * bound.maps);
    }
  }
}

}  // namespace

TEST_CASE("llama with GQA, tied embeddings and rope_parameters matches HF", "[model][hf]") {
  check_against_hf("llama_gqa_tied", "f32");
}

TEST_CASE("llama with attention bias, explicit head_dim, top-level rope_theta, f16 weights matches HF", "[model][hf]") {
  check_against_hf("llama_bias_headdim_f16", "f32");
}

TEST_CASE("diffllama with GQA over 4 layers (lambda_init varies) matches HF", "[model][hf]") {
  check_against_hf("diffllama_gqa_tied", "f32");
}

TEST_CASE("diffllama with bias, explicit head_dim, top-level rope_theta, bf16 weights and a negative lambda", "[model][hf]") {
  check_against_hf("diffllama_bias_headdim_bf16", "f32");
}

TEST_CASE("bf16 compute stays within the stated looser bounds", "[model][hf][bf16]") {
  check_against_hf("llama_gqa_tied", "bf16");
  check_against_hf("diffllama_gqa_tied", "bf16");
}

TEST_CASE("f16 compute on CUDA stays within the looser bounds, or is refused with advice on the CPU", "[model][hf][f16]") {
  if (test_device() == "cuda") {
    check_against_hf("diffllama_bias_headdim_bf16", "f16");
    return;
  }
  LoadOptions options;
  options.dtype = "f16";
  try {
    auto model = Model::load(fixture("llama_gqa_tied"), options);
    (void)model->run(tokens_from_ids({1, 2, 3}), CaptureRequest{});
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("use --dtype f32"));
  }
}

TEST_CASE("maps are causal: zero above the diagonal, rows sum to 1 (A) and 1 - lambda (D)", "[model]") {
  LoadOptions options;
  options.device = test_device();
  auto model = Model::load(fixture("diffllama_gqa_tied"), options);
  const AttentionSnapshot snap = model->run(ByteTokenizer().encode("causal mask check"), CaptureRequest{});
  for (const LayerCapture& cap : snap.layers) {
    const double lambda = cap.lambda.values.at(0);
    for (size_t h = 0; h < cap.attn1.size(); ++h) {
      const Matrix& a1 = cap.attn1[h];
      const Matrix& d = cap.diff[h];
      for (int64_t i = 0; i < a1.rows; ++i) {
        double sum_a = 0, sum_d = 0;
        for (int64_t j = 0; j < a1.cols; ++j) {
          if (j > i) {
            REQUIRE(a1.at(i, j) == 0.0f);
            REQUIRE(d.at(i, j) == 0.0f);
          }
          sum_a += a1.at(i, j);
          sum_d += d.at(i, j);
        }
        REQUIRE(sum_a == Approx(1.0).margin(1e-5));
        REQUIRE(sum_d == Approx(1.0 - lambda).margin(1e-5));
      }
    }
  }
}

TEST_CASE("selected-heads capture materializes only those maps but every statistic", "[model]") {
  LoadOptions options;
  options.device = test_device();
  auto model = Model::load(fixture("diffllama_gqa_tied"), options);
  const auto tokens = ByteTokenizer().encode("only some heads");
  const AttentionSnapshot full = model->run(tokens, CaptureRequest{});
  CaptureRequest request;
  request.maps = CaptureRequest::Maps::Selected;
  request.heads = {{1, 2}};
  request.logits = false;
  const AttentionSnapshot some = model->run(tokens, request);
  CHECK(some.logits.empty());
  for (size_t layer = 0; layer < some.layers.size(); ++layer) {
    for (size_t h = 0; h < some.layers[layer].diff.size(); ++h) {
      const bool wanted = layer == 1 && h == 2;
      CHECK(some.layers[layer].diff[h].empty() == !wanted);
      CHECK(some.layers[layer].stats_diff[h].entropy == Approx(full.layers[layer].stats_diff[h].entropy));
    }
  }
  CHECK(some.layers[1].diff[2].values == full.layers[1].diff[2].values);
}

TEST_CASE("bad requests are refused with a clear message", "[model][errors]") {
  auto model = Model::load(fixture("llama_gqa_tied"), test_load_options());
  CHECK_THROWS_WITH(model->run(tokens_from_ids({1, 300}), CaptureRequest{}),
                    Catch::Contains("outside the model's vocabulary of 300"));
  CHECK_THROWS_AS(model->run({}, CaptureRequest{}), InputError);
  CHECK_THROWS_WITH(model->run(std::vector<Token>(129, Token{}), CaptureRequest{}),
                    Catch::Contains("--truncate"));
  CaptureRequest bad_head;
  bad_head.maps = CaptureRequest::Maps::Selected;
  bad_head.heads = {{5, 0}};
  CHECK_THROWS_WITH(model->run(tokens_from_ids({1, 2}), bad_head), Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(Model::load(fixture("llama_gqa_tied"), LoadOptions{"tpu", "f32", {}}),
                    Catch::Contains("unknown device"));
  if (!cuda_available()) {
    CHECK_THROWS_WITH(Model::load(fixture("llama_gqa_tied"), LoadOptions{"cuda", "f32", {}}),
                      Catch::Contains("no CUDA device"));
  }
}

TEST_CASE("should_stop cancels a run between layers", "[model]") {
  auto model = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  int polls = 0;
  CHECK_THROWS_AS(model->run(tokens_from_ids({1, 2, 3}), CaptureRequest{}, [&] { return ++polls > 2; }), Cancelled);
  CHECK(polls == 3);
}
