// The head-effect scan (engine/head_scan.h, Model::scan_heads): every head's numbers equal the same intervention run
// alone through Model::run (the --intervene path) on the fixture Diff V1 and standard models and a tiny V2 one; the
// ranking; a text target equals the summed log-probabilities of a naive loop of plain forwards; a target inside the
// prompt (scan_heads_span) equals log_softmax by hand over the run alone; batches of 1 and of
// several heads agree; errors. Main thread; device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "errors.h"
#include "head_scan.h"
#include "intervention.h"
#include "model.h"
#include "prediction_shift.h"
#include "scan_reference.h"
#include "temp_dir.h"
#include "test_device.h"
#include "tiny_v2_checkpoint.h"
#include "tokenizer.h"

using namespace diffscope;
using namespace diffscope::testing;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFSCOPE_FIXTURES) + "/hf/" + name; }

const std::vector<int64_t> kPrompt = {5, 17, 200, 3, 3, 99, 42, 7, 150, 1, 64, 8};

// Tolerance: the scan runs the later layers with a batch dimension (one matmul over B sequences) and reads logits in
// double from the device; Model::run runs them one sequence at a time. In f32 the two differ only by the rounding of
// reordered sums: on the CPU the largest difference seen is 3.6e-7 (printed by the test), so 1e-5 leaves a factor 30;
// on CUDA cuBLAS picks other kernels (split reductions) for the batched shapes, hence 1e-4 there. Any wrong head,
// row or coefficient moves the numbers by > 1e-3 (the test checks that the interventions move them that much).
double tolerance() { return test_device_name() == "cpu" ? 1e-5 : 1e-4; }

// Every head of `scan` against reference(); returns the largest |difference| of log-probabilities and KLs seen.
double check_against_reference(const Model& model, const HeadScan& scan, const std::vector<int64_t>& prompt) {
  const ModelInfo& info = model.info();
  REQUIRE(scan.effects.size() == static_cast<size_t>(info.num_layers * info.num_heads));
  double worst = 0;
  for (const HeadEffect& got : scan.effects) {
    Intervention iv;
    iv.layer = got.layer;
    iv.head = got.head;
    iv.what = scan.what;
    iv.value = scan.value;
    INFO(intervention_spec(iv));
    const HeadEffect want = scan_reference(model, prompt, scan.target, iv);
    worst = std::max({worst, std::fabs(got.logprob_clean - want.logprob_clean),
                      std::fabs(got.logprob_changed - want.logprob_changed), std::fabs(got.kl - want.kl)});
    CHECK(got.logprob_clean == Approx(want.logprob_clean).margin(tolerance()));
    CHECK(got.logprob_changed == Approx(want.logprob_changed).margin(tolerance()));
    CHECK(got.kl == Approx(want.kl).margin(tolerance()));
    CHECK(got.rank_clean == want.rank_clean);
    CHECK(got.rank_changed == want.rank_changed);
  }
  return worst;
}


HeadScanOptions options_for(const std::string& what, int batch = 0) {
  HeadScanOptions o = scan_what(what);
  o.batch = batch;
  return o;
}

}  // namespace

TEST_CASE("every head's scan numbers equal that intervention run alone (Diff V1, standard, Diff V2)", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const auto standard = Model::load(fixture("llama_gqa_tied"), test_load_options());
  const std::vector<int64_t> answer = {47, 52, 32};
  struct Case {
    const Model* model;
    std::string what;
    std::vector<int64_t> answer;
  };
  for (const Case& c : std::vector<Case>{{diff.get(), "lambda0", answer},
                                        {diff.get(), "only=A2", {}},
                                        {diff.get(), "ablate=mean", answer},
                                        {diff.get(), "lambda_scale=0.5", {47}},
                                        {standard.get(), "ablate=zero", answer},
                                        {standard.get(), "ablate=mean", {}}}) {
    INFO(c.model->info().name << " " << c.what << " on " << test_device_name());
    const HeadScan scan = c.model->scan_heads(tokens_from_ids(kPrompt), c.answer, options_for(c.what, 3));
    CHECK(scan.prompt_tokens == static_cast<int64_t>(kPrompt.size()));
    if (c.answer.empty()) {  // the clean run's next token
      const Matrix clean = logits_of(*c.model, kPrompt);
      const std::vector<double> lp = log_probs(clean, clean.rows - 1);
      REQUIRE(scan.target.size() == 1);
      CHECK(std::max_element(lp.begin(), lp.end()) - lp.begin() == scan.target[0]);
      CHECK(scan.effects.front().rank_clean == 1);
    } else {
      CHECK(scan.target == c.answer);
    }
    const double worst = check_against_reference(*c.model, scan, kPrompt);
    WARN("largest |scan - run alone| of log p and KL: " << worst);
    // Something moved: the scan is not comparing a run with itself.
    double largest = 0;
    for (const HeadEffect& e : scan.effects) largest = std::max(largest, std::fabs(e.delta()));
    CHECK(largest > 1e-3);
    const int L = c.model->info().num_layers;
    CHECK(scan.layer_forwards == int64_t{c.model->info().num_heads} * L * (L + 1) / 2);
  }

  // Diff V2 (per-row lambda): a tiny random checkpoint.
  TinyShape shape;
  const TempDir dir("scan-v2");
  write_checkpoint(dir.path(), v2_config_json(shape), random_v2_weights(shape, 7));
  const auto v2 = Model::load(dir.path(), test_load_options());
  const std::vector<int64_t> prompt = {3, 9, 1, 30, 12, 5, 5, 22};
  for (const std::string what : {"lambda0", "ablate=mean"}) {
    INFO("V2 " << what);
    const HeadScan scan = v2->scan_heads(tokens_from_ids(prompt), {4, 11}, options_for(what, 2));
    (void)check_against_reference(*v2, scan, prompt);
  }
}

TEST_CASE("the scan is ranked by the drop of the target's log-probability", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const HeadScan scan = diff->scan_heads(tokens_from_ids(kPrompt), {47, 52}, options_for("only=A2"));
  for (size_t i = 1; i < scan.effects.size(); ++i) CHECK(scan.effects[i - 1].delta() <= scan.effects[i].delta());
  CHECK(scan.effects.front().delta() < scan.effects.back().delta());

  std::vector<HeadEffect> effects(4);
  const double changed[] = {-1.0, -3.0, -1.0, 0.5};
  for (int i = 0; i < 4; ++i) {
    effects[static_cast<size_t>(i)].layer = i / 2;
    effects[static_cast<size_t>(i)].head = i % 2;
    effects[static_cast<size_t>(i)].logprob_changed = changed[i];
  }
  effects[2].kl = 0.2;  // ties on delta: the larger KL first, then (layer, head)
  rank_by_drop(effects);
  CHECK(effects[0].layer * 2 + effects[0].head == 1);
  CHECK(effects[1].layer * 2 + effects[1].head == 2);
  CHECK(effects[2].layer * 2 + effects[2].head == 0);
  CHECK(effects[3].layer * 2 + effects[3].head == 3);
  const Matrix grid = delta_grid(scan, diff->info().num_layers, diff->info().num_heads);
  for (const HeadEffect& e : scan.effects) CHECK(grid.at(e.layer, e.head) == Approx(e.delta()));
}

TEST_CASE("a text target's log-probability is the sum over a naive loop of plain forwards", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const auto tokenizer = tokenizer_for_model(fixture("diffllama_gqa_tied"), diff->info().vocab_size);  // bytes
  const std::vector<Token> prompt = tokenizer->encode("The number is");
  const std::vector<int64_t> answer = target_ids_from_text(*tokenizer, " 4721");
  CHECK(answer == std::vector<int64_t>{' ', '4', '7', '2', '1'});
  // Naive: one forward of the prompt plus the answer's first k tokens per answer token k, last row only.
  std::vector<int64_t> ids;
  for (const Token& t : prompt) ids.push_back(t.id);
  double want = 0;
  for (int64_t a : answer) {
    const Matrix logits = logits_of(*diff, ids);
    want += log_probs(logits, logits.rows - 1)[static_cast<size_t>(a)];
    ids.push_back(a);
  }
  const HeadScan scan = diff->scan_heads(prompt, answer, options_for("lambda0"));
  CHECK(scan.effects.front().logprob_clean == Approx(want).margin(tolerance()));
}

TEST_CASE("batches of 1 and of several heads give the same scan", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const HeadScan one = diff->scan_heads(tokens_from_ids(kPrompt), {47, 52}, options_for("lambda0", 1));
  const HeadScan all = diff->scan_heads(tokens_from_ids(kPrompt), {47, 52}, options_for("lambda0", 0));
  CHECK(one.batch == 1);
  CHECK(all.batch == diff->info().num_heads);  // the tiny model's whole layer fits the default budget
  REQUIRE(one.effects.size() == all.effects.size());
  for (size_t i = 0; i < one.effects.size(); ++i) {
    CHECK(one.effects[i].layer == all.effects[i].layer);
    CHECK(one.effects[i].head == all.effects[i].head);
    CHECK(one.effects[i].logprob_changed == Approx(all.effects[i].logprob_changed).margin(tolerance()));
    CHECK(one.effects[i].kl == Approx(all.effects[i].kl).margin(tolerance()));
    CHECK(one.effects[i].rank_changed == all.effects[i].rank_changed);
  }
  // The chunk a budget allows: at least one, at most the layer's heads.
  const ModelInfo& info = diff->info();
  const int64_t each = scan_bytes_per_head(info, 2048, 1, 2);
  CHECK(scan_batch_for(info, 2048, 1, 2, 4, each * 3 + 1) == 3);
  CHECK(scan_batch_for(info, 2048, 1, 2, 4, 1) == 1);
  CHECK(scan_batch_for(info, 2048, 1, 2, 4, int64_t{1} << 40) == 4);
}

TEST_CASE("a target inside the prompt: each head's numbers equal a naive log_softmax over that run alone", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const auto standard = Model::load(fixture("llama_gqa_tied"), test_load_options());
  const TokenSpan span{4, 7};  // kPrompt's ids 3, 99, 42, scored at rows 3, 4, 5
  for (const auto& [model, what] : std::vector<std::pair<const Model*, std::string>>{
           {diff.get(), "lambda0"}, {diff.get(), "ablate=mean"}, {standard.get(), "ablate=zero"}}) {
    INFO(model->info().name << " " << what << " on " << test_device_name());
    const HeadScan scan = model->scan_heads_span(tokens_from_ids(kPrompt), span, options_for(what, 3));
    CHECK(scan.target == std::vector<int64_t>{3, 99, 42});
    CHECK(scan.target_begin == 4);
    const Matrix clean = logits_of(*model, kPrompt);
    const int64_t last = clean.rows - 1, V = clean.cols;
    // By hand: sum over the span's tokens t of log_softmax(row t - 1)[id of t]; rank from row 3; KL at the last row.
    auto span_logprob = [&](const Matrix& logits) {
      double sum = 0;
      for (int64_t t = span.begin; t < span.end; ++t) {
        sum += log_probs(logits, t - 1)[static_cast<size_t>(kPrompt[static_cast<size_t>(t)])];
      }
      return sum;
    };
    auto first_rank = [&](const Matrix& logits) {
      const std::vector<double> lp = log_probs(logits, span.begin - 1);
      const double own = lp[static_cast<size_t>(kPrompt[static_cast<size_t>(span.begin)])];
      return 1 + std::count_if(lp.begin(), lp.end(), [&](double v) { return v > own; });
    };
    double largest = 0;
    for (const HeadEffect& got : scan.effects) {
      Intervention iv;
      iv.layer = got.layer;
      iv.head = got.head;
      iv.what = scan.what;
      iv.value = scan.value;
      INFO(intervention_spec(iv));
      const Matrix changed = logits_of(*model, kPrompt, {iv});
      CHECK(got.logprob_clean == Approx(span_logprob(clean)).margin(tolerance()));
      CHECK(got.logprob_changed == Approx(span_logprob(changed)).margin(tolerance()));
      CHECK(got.rank_clean == first_rank(clean));
      CHECK(got.rank_changed == first_rank(changed));
      const PredictionShift s = next_token_shift(clean.values.data() + last * V, changed.values.data() + last * V, V);
      CHECK(got.kl == Approx(s.kl).margin(tolerance()));
      largest = std::max(largest, std::fabs(got.delta()));
    }
    CHECK(largest > 1e-3);  // something moved
  }
}

TEST_CASE("a span that ends the prompt scores as the same answer teacher-forced after the rest", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const std::vector<int64_t> head(kPrompt.begin(), kPrompt.begin() + 9), answer(kPrompt.begin() + 9, kPrompt.end());
  HeadScan in_prompt = diff->scan_heads_span(tokens_from_ids(kPrompt), {9, 12}, options_for("lambda0"));
  HeadScan forced = diff->scan_heads(tokens_from_ids(head), answer, options_for("lambda0"));
  CHECK(in_prompt.target == forced.target);
  CHECK(forced.target_begin == 9);
  auto by_head = [](HeadScan& s) {
    std::sort(s.effects.begin(), s.effects.end(),
              [](const HeadEffect& a, const HeadEffect& b) { return a.layer * 1000 + a.head < b.layer * 1000 + b.head; });
  };
  by_head(in_prompt);
  by_head(forced);
  for (size_t i = 0; i < forced.effects.size(); ++i) {
    CHECK(in_prompt.effects[i].logprob_changed == Approx(forced.effects[i].logprob_changed).margin(tolerance()));
    CHECK(in_prompt.effects[i].rank_changed == forced.effects[i].rank_changed);
  }
}

TEST_CASE("a target span outside the prompt's scored rows is refused", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const std::vector<Token> prompt = tokens_from_ids(kPrompt);
  CHECK_THROWS_WITH(diff->scan_heads_span(prompt, {0, 2}, options_for("lambda0")), Catch::Contains("token 0"));
  CHECK_THROWS_WITH(diff->scan_heads_span(prompt, {10, 13}, options_for("lambda0")),
                    Catch::Contains("reach past the prompt's 12 tokens"));
}

TEST_CASE("scan errors say what is wrong", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const auto standard = Model::load(fixture("llama_gqa_tied"), test_load_options());
  const auto tokenizer = tokenizer_for_model(fixture("diffllama_gqa_tied"), 300);
  CHECK_THROWS_WITH(target_ids_from_text(*tokenizer, ""), Catch::Contains("the target text is empty"));
  struct DropsEverything : ByteTokenizer {  // as a tokenizer whose vocabulary lacks every character of the text
    std::vector<Token> encode_continuation(const std::string&) const override { return {}; }
  };
  CHECK_THROWS_WITH(target_ids_from_text(DropsEverything(), "zz"), Catch::Contains("\"zz\" gives no tokens"));
  CHECK_THROWS_WITH(standard->scan_heads(tokens_from_ids(kPrompt), {}, options_for("lambda0")),
                    Catch::Contains("lambda and only= act on Diff heads, and this model is standard"));
  CHECK_THROWS_WITH(diff->scan_heads(tokens_from_ids(kPrompt), {300}, options_for("lambda0")),
                    Catch::Contains("outside the model's vocabulary of 300"));
  // Context 128: a 120-token prompt leaves room for a 9-token answer (8 positions), not a 10-token one.
  const std::vector<Token> long_prompt = tokens_from_ids(std::vector<int64_t>(120, 65));
  CHECK_NOTHROW(scan_sequence(long_prompt, std::vector<int64_t>(9, 66), 128, 300));
  CHECK_THROWS_WITH(diff->scan_heads(long_prompt, std::vector<int64_t>(10, 66), options_for("ablate=zero")),
                    Catch::Contains("need 129 positions") && Catch::Contains("context of 128"));
  CHECK_THROWS_WITH(scan_what("lambda=x"), Catch::Contains("\"lambda=x\" is not a scan intervention"));
  CHECK(scan_what("lambda0").what == Intervention::What::Lambda);
  CHECK(scan_what_name(scan_what("lambda0").what, 0) == "lambda=0");
  CHECK(scan_what("ablate=mean").what == Intervention::What::AblateMean);
}

TEST_CASE("the scan's CSV, JSON and heatmap files", "[head_scan]") {
  const auto diff = Model::load(fixture("diffllama_gqa_tied"), test_load_options());
  const HeadScan scan = diff->scan_heads(tokens_from_ids(kPrompt), {47}, options_for("lambda0"));
  const TempDir dir("scan-files");
  write_head_scan_csv(dir.path() + "/s.csv", scan);
  write_head_scan_json(dir.path() + "/s.json", scan, "diff");
  write_head_scan_png(dir.path() + "/s.png", scan, diff->info().num_layers, diff->info().num_heads);
  std::ifstream csv(dir.path() + "/s.csv");
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  CHECK(header == "rank,layer,head,what,logprob_clean,logprob_changed,delta,rank_clean,rank_changed,kl");
  const HeadEffect& top = scan.effects.front();
  CHECK(first.rfind("1," + std::to_string(top.layer) + "," + std::to_string(top.head) + ",lambda=0,", 0) == 0);
  std::stringstream json;
  json << std::ifstream(dir.path() + "/s.json").rdbuf();
  CHECK(json.str().find("\"format\": \"diffscope-head-scan-1\"") != std::string::npos);
  CHECK(json.str().find("\"target\": [\n    47\n  ]") != std::string::npos);
  std::ifstream png(dir.path() + "/s.png", std::ios::binary);
  char magic[4] = {};
  png.read(magic, 4);
  CHECK(std::string(magic + 1, 3) == "PNG");
}
