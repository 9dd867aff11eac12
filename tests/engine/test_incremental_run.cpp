// Incremental runs (model.h RunCache, docs/incremental-runs.md): a run that reuses an earlier run's rows gives what a
// full run of the same tokens gives, within the forward's rounding (the new rows attend to cached keys and values
// through another kernel than a whole prompt's), on the bundled Diff and standard models: appended tokens, a shorter
// prompt, an edit in the middle and one near the start; what may not reuse (other settings, another model, logits)
// does not; a cancelled run keeps the cache. Main thread; device from $DIFFSCOPE_TEST_DEVICE.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "errors.h"
#include "model.h"
#include "test_device.h"

using namespace diffscope;

namespace {

const std::string kModels = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";

std::vector<Token> random_tokens(int64_t n, uint32_t seed, int64_t vocab) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> id(1, vocab - 1);
  std::vector<Token> tokens(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    tokens[static_cast<size_t>(i)].id = id(rng);
    tokens[static_cast<size_t>(i)].text = "t";
  }
  return tokens;
}

// The long-prompt request of the app (ui_state.cpp make_run_request): statistics and overviews, no maps, no logits.
CaptureRequest long_prompt_request() {
  CaptureRequest r;
  r.maps = CaptureRequest::Maps::None;
  r.logits = false;
  r.span = TokenSpan{10, 40};
  return r;
}

bool close(double a, double b, double tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= tolerance * (1.0 + std::fabs(b));
}

// Every figure of `got` (an incremental run) against `want` (a full run of the same tokens). The median of |logits|
// comes from a histogram whose bins are 1/64 of an octave: a score moved across a bin edge by the forward's rounding
// moves it by at most one bin.
void require_same(const AttentionSnapshot& got, const AttentionSnapshot& want) {
  const double tol = 1e-4;
  REQUIRE(got.layers.size() == want.layers.size());
  for (size_t l = 0; l < want.layers.size(); ++l) {
    INFO("layer " << l);
    const LayerCapture& g = got.layers[l];
    const LayerCapture& w = want.layers[l];
    for (MapKind kind : map_kinds_of(want.model)) {
      INFO("kind " << map_kind_name(kind));
      REQUIRE(g.stats(kind).size() == w.stats(kind).size());
      for (size_t h = 0; h < w.stats(kind).size(); ++h) {
        INFO("head " << h);
        const HeadStats& a = g.stats(kind)[h];
        const HeadStats& b = w.stats(kind)[h];
        CHECK(close(a.entropy, b.entropy, tol));
        CHECK(close(a.sink_mass, b.sink_mass, tol));
        CHECK(close(a.max_attention, b.max_attention, tol));
        CHECK(close(a.distance, b.distance, tol));
        CHECK(close(a.signal, b.signal, tol));
        CHECK(close(a.noise, b.noise, tol));
        CHECK(close(a.noise_abs, b.noise_abs, tol));
        const Matrix& og = got.layers[l].overview.maps(kind)[h];
        const Matrix& ow = want.layers[l].overview.maps(kind)[h];
        REQUIRE(og.rows == ow.rows);
        REQUIRE(og.cols == ow.cols);
        double worst = 0;
        for (size_t i = 0; i < ow.values.size(); ++i) worst = std::max(worst, std::fabs(double{og.values[i]} - ow.values[i]));
        CHECK(worst <= tol);
      }
    }
    CHECK(g.overview.cell == w.overview.cell);
    CHECK(close(g.attn_logits.top1, w.attn_logits.top1, tol));
    CHECK(close(g.attn_logits.top10, w.attn_logits.top10, tol));
    CHECK(close(g.attn_logits.median, w.attn_logits.median, 1.0 / 64));
    CHECK(close(g.hidden_states.top1, w.hidden_states.top1, tol));
    CHECK(close(g.hidden_states.top10, w.hidden_states.top10, tol));
    CHECK(close(g.hidden_states.median, w.hidden_states.median, tol));
    REQUIRE(g.lambda.values.size() == w.lambda.values.size());
    for (size_t i = 0; i < w.lambda.values.size(); ++i) REQUIRE(close(g.lambda.values[i], w.lambda.values[i], 1e-6));
  }
}

// The rows on the device's chunk boundary before the first difference: what a run may reuse (the CPU's chunks are
// 256 rows, a GPU's 512; the bundled models' overviews have cells of 8 at these lengths).
int64_t reusable(int64_t common, int64_t T, const std::string& device) {
  const int64_t chunk = device == "cpu" ? 256 : 512;
  return (std::min(common, T) - 1) / chunk * chunk;
}

}  // namespace

TEST_CASE("an incremental run equals a full run of the same tokens", "[incremental]") {
  for (const char* name : {"diff", "standard"}) {
    INFO("model " << name);
    const std::unique_ptr<Model> model = Model::load(kModels + "/" + name, test_load_options());
    const std::string device = test_device_name();
    const CaptureRequest request = long_prompt_request();
    const std::vector<Token> base = random_tokens(900, 7, model->info().vocab_size);
    RunCache cache;
    const AttentionSnapshot first = model->run(base, request, {}, &cache);
    CHECK(first.reused_tokens == 0);
    CHECK(cache.tokens() == 900);
    CHECK(cache.bytes() > 0);

    auto check_edit = [&](const std::vector<Token>& tokens, int64_t common, const char* what) {
      INFO(what);
      const AttentionSnapshot incremental = model->run(tokens, request, {}, &cache);
      const int64_t T = static_cast<int64_t>(tokens.size());
      CHECK(incremental.reused_tokens == std::max<int64_t>(0, reusable(common, T, device)));
      if (common >= 700) CHECK(incremental.reused_tokens > 0);  // on every device: the comparison is not vacuous
      CHECK(cache.tokens() == T);
      const AttentionSnapshot full = model->run(tokens, request);
      CHECK(full.reused_tokens == 0);
      require_same(incremental, full);
      // Windows of the store cover every row, reused or not.
      REQUIRE(incremental.store);
      MapWindow window;
      window.kind = map_kinds_of(model->info()).back();
      window.layer = 2;
      window.head = 1;
      const Matrix a = incremental.store->window(window), b = full.store->window(window);
      REQUIRE(a.values.size() == b.values.size());
      double worst = 0;
      for (size_t i = 0; i < a.values.size(); ++i) worst = std::max(worst, std::fabs(double{a.values[i]} - b.values[i]));
      CHECK(worst <= 1e-4);
    };

    std::vector<Token> appended = base;
    const std::vector<Token> more = random_tokens(60, 8, model->info().vocab_size);
    appended.insert(appended.end(), more.begin(), more.end());
    check_edit(appended, 900, "60 tokens appended");
    std::vector<Token> shorter(appended.begin(), appended.begin() + 700);
    check_edit(shorter, 700, "cut to 700 tokens");
    std::vector<Token> middle = shorter;
    middle[300].id = middle[300].id % 100 + 1;
    check_edit(middle, 300, "token 300 changed");
    std::vector<Token> early = middle;
    early[100].id = early[100].id % 100 + 2;
    check_edit(early, 100, "token 100 changed: nothing to reuse");
    check_edit(early, 700, "the same tokens again: the last chunk is recomputed");
  }
}

TEST_CASE("runs that may not reuse do not, and a cancelled run keeps the cache", "[incremental]") {
  const std::unique_ptr<Model> diff = Model::load(kModels + "/diff", test_load_options());
  const std::unique_ptr<Model> standard = Model::load(kModels + "/standard", test_load_options());
  const std::vector<Token> tokens = random_tokens(800, 9, diff->info().vocab_size);
  const CaptureRequest request = long_prompt_request();
  RunCache cache;
  diff->run(tokens, request, {}, &cache);
  REQUIRE(cache.tokens() == 800);

  SECTION("another model") {
    const AttentionSnapshot s = standard->run(tokens, request, {}, &cache);
    CHECK(s.reused_tokens == 0);
    CHECK(cache.tokens() == 800);  // now the standard model's
    CHECK(standard->run(tokens, request, {}, &cache).reused_tokens > 0);
  }
  SECTION("another overview size") {
    CaptureRequest coarser = request;
    coarser.overview_size = 64;
    CHECK(diff->run(tokens, coarser, {}, &cache).reused_tokens == 0);
  }
  SECTION("logits, dense maps, interventions: a full run that leaves the cache as it was") {
    CaptureRequest logits = request;
    logits.logits = true;
    CHECK(diff->run(tokens, logits, {}, &cache).reused_tokens == 0);
    CaptureRequest maps = request;
    maps.maps = CaptureRequest::Maps::All;
    CHECK(diff->run(tokens, maps, {}, &cache).reused_tokens == 0);
    CHECK(cache.tokens() == 800);
    CHECK(diff->run(tokens, request, {}, &cache).reused_tokens > 0);
  }
  SECTION("a cancelled run") {
    std::vector<Token> longer = tokens;
    longer.push_back(tokens[5]);
    int polls = 0;
    CHECK_THROWS_AS(diff->run(longer, request, [&] { return ++polls > 3; }, &cache), Cancelled);
    CHECK(cache.tokens() == 800);
    CHECK(diff->run(longer, request, {}, &cache).reused_tokens > 0);
  }
  SECTION("clear") {
    cache.clear();
    CHECK(cache.tokens() == 0);
    CHECK(cache.bytes() == 0);
    CHECK(diff->run(tokens, request, {}, &cache).reused_tokens == 0);
  }
}
