// Tests of Model::generate: the KV-cache path must give the same tokens and attention rows as rerunning the whole
// sequence (a naive loop over Model::run), for standard and Diff models. Device: $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <cmath>

#include "errors.h"
#include "model.h"
#include "test_device.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

int64_t argmax_last_row(const Matrix& logits) {
  const float* row = logits.values.data() + (logits.rows - 1) * logits.cols;
  return std::max_element(row, row + logits.cols) - row;
}

double max_row_diff(const Matrix& row, const Matrix& full, int64_t r) {
  REQUIRE(row.rows == 1);
  REQUIRE(row.cols == r + 1);
  double worst = 0;
  for (int64_t j = 0; j < row.cols; ++j) worst = std::max(worst, std::fabs(static_cast<double>(row.at(0, j)) - full.at(r, j)));
  return worst;
}

// Greedy generation against the naive loop: same ids, and each step's rows equal the last row of the full maps.
void check_greedy_against_rerun(const std::string& name) {
  INFO("fixture " << name);
  auto model = Model::load(fixture(name), test_load_options());
  const bool diff = model->info().kind == AttentionKind::Differential;
  std::vector<Token> tokens = ByteTokenizer().encode("The cat sat on");
  GenerationOptions options;
  options.max_new_tokens = 6;
  options.stop_ids = std::vector<int64_t>{};  // all six steps even if the fixture's EOS id comes up
  const Generation gen = model->generate(tokens, options, CaptureRequest{});
  REQUIRE(gen.steps.size() == 6);
  REQUIRE(gen.prompt.layers.size() == static_cast<size_t>(model->info().num_layers));

  std::vector<Token> sequence = tokens;
  for (size_t s = 0; s < gen.steps.size(); ++s) {
    INFO("step " << s);
    const AttentionSnapshot full = model->run(sequence, CaptureRequest{});
    CHECK(gen.steps[s].id == argmax_last_row(full.logits));
    CHECK(gen.steps[s].position == static_cast<int64_t>(sequence.size()));
    if (s > 0) {
      // Step s - 1's token was fed back at the last position of `sequence`: its rows are that row of the full maps.
      const GenerationStep& fed = gen.steps[s - 1];
      const int64_t r = fed.position;
      for (size_t l = 0; l < full.layers.size(); ++l) {
        const LayerCapture& row = fed.rows[l];
        const LayerCapture& whole = full.layers[l];
        for (size_t h = 0; h < whole.stats_attn1.size() + whole.stats_attn.size(); ++h) {
          if (diff) {
            CHECK(max_row_diff(row.attn1[h], whole.attn1[h], r) <= 1e-5);
            CHECK(max_row_diff(row.attn2[h], whole.attn2[h], r) <= 1e-5);
            CHECK(max_row_diff(row.diff[h], whole.diff[h], r) <= 1e-5);
            CHECK(row.lambda.at(static_cast<int64_t>(h), 0) == Approx(whole.lambda.at(static_cast<int64_t>(h), r)));
          } else {
            CHECK(max_row_diff(row.attn[h], whole.attn[h], r) <= 1e-5);
          }
        }
      }
    }
    Token next;
    next.id = gen.steps[s].id;
    sequence.push_back(next);
  }
  CHECK(gen.steps.back().rows.empty());  // the last token is never fed back
}

}  // namespace

TEST_CASE("greedy generation with a KV cache matches rerunning the sequence (llama, GQA)", "[generate]") {
  check_greedy_against_rerun("llama_gqa_tied");
}

TEST_CASE("greedy generation with a KV cache matches rerunning the sequence (diffllama V1)", "[generate]") {
  check_greedy_against_rerun("diffllama_gqa_tied");
  check_greedy_against_rerun("diffllama_bias_headdim_bf16");
}

TEST_CASE("sampling is repeatable per seed and top-1 is greedy", "[generate]") {
  auto model = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const std::vector<Token> tokens = ByteTokenizer().encode("Once upon");
  GenerationOptions greedy;
  greedy.max_new_tokens = 5;
  GenerationOptions sample = greedy;
  sample.top_k = 40;
  sample.temperature = 1.5;
  sample.seed = 7;
  auto ids = [&](const GenerationOptions& o) {
    std::vector<int64_t> out;
    for (const GenerationStep& s : model->generate(tokens, o, CaptureRequest{}).steps) out.push_back(s.id);
    return out;
  };
  CHECK(ids(sample) == ids(sample));
  GenerationOptions top1 = sample;
  top1.top_k = 1;
  CHECK(ids(top1) == ids(greedy));
}

TEST_CASE("top-p draws only from the nucleus a naive loop computes, and a tiny top-p is greedy", "[generate]") {
  auto model = Model::load(fixture("llama_gqa_tied"), test_load_options());
  const std::vector<Token> tokens = ByteTokenizer().encode("Once upon");
  CaptureRequest with_logits;
  with_logits.maps = CaptureRequest::Maps::None;
  const AttentionSnapshot run = model->run(tokens, with_logits);
  const int64_t V = run.logits.cols, last = run.logits.rows - 1;
  const double temperature = 2.0, top_p = 0.5;
  // The nucleus by hand: softmax(logits / T), most likely first, until the probability reaches top_p.
  std::vector<std::pair<double, int64_t>> probs;
  double total = 0;
  for (int64_t v = 0; v < V; ++v) {
    probs.push_back({std::exp((run.logits.at(last, v) - run.logits.at(last, 0)) / temperature), v});
    total += probs.back().first;
  }
  std::sort(probs.begin(), probs.end(), std::greater<>());
  std::vector<int64_t> nucleus;
  double cumulative = 0;
  for (const auto& [p, v] : probs) {
    if (cumulative >= top_p * total) break;
    cumulative += p;
    nucleus.push_back(v);
  }
  REQUIRE(nucleus.size() > 1);  // a real cut: more than the greedy token, fewer than all
  REQUIRE(nucleus.size() < static_cast<size_t>(V));
  GenerationOptions options;
  options.max_new_tokens = 1;
  options.top_p = top_p;
  options.temperature = temperature;
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    options.seed = seed;
    const int64_t id = model->generate(tokens, options, CaptureRequest{}).steps.front().id;
    CHECK(std::find(nucleus.begin(), nucleus.end(), id) != nucleus.end());
    seen.insert(id);
  }
  CHECK(seen.size() > 1);  // it does sample
  options.top_p = 1e-9;
  GenerationOptions greedy;
  greedy.max_new_tokens = 1;
  CHECK(model->generate(tokens, options, CaptureRequest{}).steps.front().id ==
        model->generate(tokens, greedy, CaptureRequest{}).steps.front().id);
  options.top_p = 0;
  CHECK_THROWS_WITH(model->generate(tokens, options, CaptureRequest{}), Catch::Contains("top_p"));
}

TEST_CASE("generation stops at a stop id and at the context length, and refuses bad options", "[generate]") {
  auto model = Model::load(fixture("llama_gqa_tied"), test_load_options());
  CHECK(model->info().eos_token_ids == std::vector<int64_t>{2});  // the fixture's config.json (no generation_config)
  const std::vector<Token> tokens = ByteTokenizer().encode("abc");
  GenerationOptions options;
  options.max_new_tokens = 4;
  options.stop_ids = std::vector<int64_t>{};  // never stop early
  const Generation free_run = model->generate(tokens, options, CaptureRequest{});
  REQUIRE(free_run.steps.size() == 4);
  CHECK(free_run.stopped_by == StopReason::MaxNewTokens);
  // Stopping at the second token's id: the run is cut right after it, that token included (as HF generate does).
  options.stop_ids = std::vector<int64_t>{free_run.steps[1].id};
  const Generation stopped = model->generate(tokens, options, CaptureRequest{});
  const size_t first_hit = free_run.steps[0].id == free_run.steps[1].id ? 1 : 2;
  CHECK(stopped.steps.size() == first_hit);
  CHECK(stopped.stopped_by == StopReason::StopId);
  CHECK(std::string(stop_reason_name(stopped.stopped_by)) == "stop-id");

  std::vector<Token> long_prompt(126);
  for (size_t i = 0; i < long_prompt.size(); ++i) long_prompt[i].id = 97 + static_cast<int64_t>(i % 20);
  GenerationOptions many;
  many.max_new_tokens = 10;
  many.stop_ids = std::vector<int64_t>{};
  const Generation at_context = model->generate(long_prompt, many, CaptureRequest{});
  CHECK(at_context.steps.size() == 2);  // context of 128
  CHECK(at_context.stopped_by == StopReason::Context);

  GenerationOptions none;
  none.max_new_tokens = 0;
  CHECK_THROWS_AS(model->generate(tokens, none, CaptureRequest{}), InputError);
  GenerationOptions cold;
  cold.top_k = 5;
  cold.temperature = 0;
  CHECK_THROWS_WITH(model->generate(tokens, cold, CaptureRequest{}), Catch::Contains("temperature"));
}
