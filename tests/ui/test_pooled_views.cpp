// What the app asks for and shows for long prompts (ui/ui_state.h, ui/window_fetcher.h, ui/map_source.h): dense maps
// only under the budget, which windows a pooled view needs, and the cells it draws from them. No GL. Test thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "demo_snapshot.h"
#include "demo_store.h"
#include "map_source.h"
#include "ui_state.h"
#include "window_fetcher.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

ModelInfo model(AttentionKind kind, int layers, int heads) {
  ModelInfo info;
  info.kind = kind;
  info.num_layers = layers;
  info.num_heads = heads;
  return info;
}

// Both slots hold the bundled pair's shapes: 6 layers, 4 Diff heads (3 maps each) and 8 standard heads.
UiState bundled_pair(const std::string& prompt) {
  UiState s;
  s.slots[kSlotDiff].info = model(AttentionKind::Differential, 6, 4);
  s.slots[kSlotStandard].info = model(AttentionKind::Standard, 6, 8);
  s.settings.prompt = prompt;
  return s;
}

}  // namespace

TEST_CASE("the app's runs leave dense maps to the worker, within the budget; overviews and the store always") {
  const UiState pair = bundled_pair("");
  const std::vector<ModelInfo> models = {*pair.slots[kSlotDiff].info, *pair.slots[kSlotStandard].info};
  // 6 x 4 Diff heads x 3 maps + 6 x 8 standard heads = 120 maps of T x T floats.
  CHECK(dense_map_bytes(models, 1000) == int64_t{120} * 1000 * 1000 * 4);
  CHECK(dense_map_bytes(models, 740) <= kDenseMapBudgetBytes);  // the bundled pair stays dense up to ~745 tokens
  CHECK(dense_map_bytes(models, 760) > kDenseMapBudgetBytes);

  UiState s = bundled_pair(std::string(600, 'a'));
  s.show_rollout = true;
  const RunRequest r = make_run_request(s);
  CHECK(r.dense_maps_budget == kDenseMapBudgetBytes);
  CHECK(r.capture.maps == CaptureRequest::Maps::None);  // the worker sets All (and logits) when the run fits
  CHECK_FALSE(r.capture.logits);
  CHECK(r.capture.overviews);
  CHECK(r.capture.keep_store);
  CHECK(r.capture.rollout);  // a long prompt's run keeps it on the engine's device and sends its overview
}

TEST_CASE("dense runs copy the logits for All maps, as diffscope-cli run --maps writes them; the budget counts them") {
  UiState s = bundled_pair("");
  s.slots[kSlotDiff].info->vocab_size = 4096;
  s.slots[kSlotStandard].info->vocab_size = 4096;
  const std::vector<ModelInfo> models = {*s.slots[kSlotDiff].info, *s.slots[kSlotStandard].info};
  CHECK(dense_map_bytes(models, 1000) == (int64_t{120} * 1000 + 2 * 4096) * 1000 * 4);  // [T, V] per slot
}

TEST_CASE("a pooled view fetches a window only where it adds detail and only where it is exact") {
  MapRequest map;
  map.variant = MapVariant::Diff;
  map.head = 0;
  const WindowPlan whole{TokenRect{0, 1000, 0, 1000}, 4};
  const WindowPlan zoomed{TokenRect{100, 200, 100, 200}, 1};

  // A plain map: the window when the screen shows finer cells than the overview's 8 tokens.
  CHECK(window_need(map, whole, 8, 1000, false, true).plan == whole);
  CHECK_FALSE(window_need(map, WindowPlan{TokenRect{0, 1000, 0, 1000}, 8}, 8, 1000, false, true).plan);

  // A head mean has no overview: it always takes the engine's windows of the mean (kMeanOfHeads), at any pool;
  // lambda * A2 has no mean of heads (the overview path says why); a rollout takes windows as a map does.
  MapRequest mean = map;
  mean.head = -1;
  CHECK(window_need(mean, zoomed, 8, 1000, true, true).plan == zoomed);
  CHECK(window_need(mean, whole, 8, 1000, true, true).plan == whole);
  mean.variant = MapVariant::LambdaA2;
  CHECK_FALSE(window_need(mean, zoomed, 8, 1000, true, true).plan);
  MapRequest rollout = map;
  rollout.variant = MapVariant::Rollout;
  CHECK(window_need(rollout, zoomed, 8, 1000, false, true).plan == zoomed);
  CHECK_FALSE(window_need(rollout, WindowPlan{TokenRect{0, 1000, 0, 1000}, 8}, 8, 1000, false, true).plan);

  // Row normalization: only whole rows at one cell per token.
  MapRequest normalized = map;
  normalized.row_normalize = true;
  const WindowNeed far = window_need(normalized, whole, 8, 1000, true, true);
  CHECK_FALSE(far.plan);
  CHECK(far.not_available.find("not available at this zoom") != std::string::npos);
  const WindowNeed near = window_need(normalized, zoomed, 8, 1000, true, true);
  REQUIRE(near.plan);
  CHECK(near.plan->pool == 1);
  CHECK(near.plan->rect == TokenRect{100, 200, 0, 200});

  // lambda * A2: any pool when lambda is one value per head, pool 1 only when it varies by row.
  MapRequest scaled = map;
  scaled.variant = MapVariant::LambdaA2;
  CHECK(window_need(scaled, whole, 8, 1000, false, true).plan == whole);
  CHECK_FALSE(window_need(scaled, whole, 8, 1000, true, false).plan);
  CHECK(window_need(scaled, zoomed, 8, 1000, true, false).plan == zoomed);
}

TEST_CASE("overviews show what pooled cells show exactly and say why not otherwise") {
  DemoSpec spec;
  spec.tokens = 300;
  spec.layers = 2;
  spec.heads = 2;
  AttentionSnapshot v1 = make_demo_snapshot(spec);
  make_overview_only(v1);
  CHECK(shows_overviews(v1));
  MapRequest r;
  r.layer = 1;
  r.head = 1;
  r.variant = MapVariant::A1;
  std::string why;
  CHECK(overview_map(v1, r, &why).rows == 38);  // ceil(300 / 8)
  CHECK(why.empty());

  r.variant = MapVariant::LambdaA2;  // V1: one lambda per layer, so lambda times a pooled maximum is exact
  const Matrix scaled = overview_map(v1, r, &why);
  REQUIRE(why.empty());
  const float lambda = v1.layers[1].lambda.at(1, 0);
  CHECK(scaled.at(20, 3) == Approx(lambda * v1.layers[1].overview.attn2[1].at(20, 3)));

  r.head = -1;
  CHECK(overview_map(v1, r, &why).empty());
  CHECK(why.find("lambda * A2 has no mean of heads") != std::string::npos);
  r.variant = MapVariant::A1;
  CHECK(overview_map(v1, r, &why).empty());
  CHECK(why.find("mean of heads: computed from the run") != std::string::npos);
  // Its windows come from the store: the mean of the heads' maps, pooled (demo_store.cpp, as the engine's).
  MapWindow w;
  w.layer = 1;
  w.kind = MapKind::A1;
  w.head = kMeanOfHeads;
  w.pool = 8;
  const Matrix mean_cells = v1.store->window(w);
  w.head = 0;
  const Matrix h0 = v1.store->window(w);
  w.head = 1;
  const Matrix h1 = v1.store->window(w);
  REQUIRE(mean_cells.rows == 38);
  // One cell by hand: the pooled mean lies within the heads' pooled maxima (|mean| <= max of |heads|).
  CHECK(std::fabs(mean_cells.at(20, 3)) <= std::max(std::fabs(h0.at(20, 3)), std::fabs(h1.at(20, 3))) + 1e-7f);
  CHECK(mean_cells.at(20, 3) > 0);
  r.head = 1;
  r.variant = MapVariant::Rollout;  // a run without rollout kept none
  CHECK(overview_map(v1, r, &why).empty());
  CHECK(why.find("no rollout in this result") != std::string::npos);
  CHECK_FALSE(rollout_is_signed(v1, 1));
  v1.layers[1].overview.rollout = v1.layers[1].overview.diff[0];  // any pooled signed matrix will do
  CHECK(overview_map(v1, r, &why).values == v1.layers[1].overview.diff[0].values);
  CHECK(why.empty());
  CHECK(rollout_is_signed(v1, 1) == std::any_of(v1.layers[1].overview.diff[0].values.begin(),
                                                v1.layers[1].overview.diff[0].values.end(), [](float x) { return x < 0; }));
  v1.layers[1].overview.rollout.values[5] = -0.25f;
  CHECK(rollout_is_signed(v1, 1));
  v1.rollout_refused = "rollout at 32768 tokens would keep ...";  // the engine's reason reaches the view
  CHECK(overview_map(v1, r, &why).empty());
  CHECK(why == v1.rollout_refused);
  v1.rollout_refused.clear();
  r.variant = MapVariant::A1;
  r.row_normalize = true;
  CHECK(overview_map(v1, r, &why).empty());
  CHECK(why.find("row normalization") != std::string::npos);

  spec.lambda_per_row = true;
  AttentionSnapshot v2 = make_demo_snapshot(spec);
  make_overview_only(v2);
  r.row_normalize = false;
  r.variant = MapVariant::LambdaA2;
  CHECK(overview_map(v2, r, &why).empty());
  CHECK(why.find("lambda varies by row") != std::string::npos);

  SECTION("a window at pool 1 gives lambda * A2 row by row and row normalization exactly") {
    const AttentionSnapshot dense = make_demo_snapshot(spec);
    MapWindow w;
    w.layer = 1;
    w.kind = MapKind::A2;
    w.head = 1;
    w.row_begin = 50;
    w.row_end = 60;
    w.col_begin = 0;
    w.col_end = 60;
    const WindowPlan plan{TokenRect{50, 60, 0, 60}, 1};
    const Matrix cells = v2.store->window(w);
    const Matrix shown = window_display_cells(v2, r, plan, cells);
    const float l = dense.layers[1].lambda.at(1, 55);
    CHECK(shown.at(5, 12) == Approx(l * dense.layers[1].attn2[1].at(55, 12)));
    MapRequest normalized;
    normalized.layer = 1;
    normalized.head = 1;
    normalized.variant = MapVariant::A2;
    normalized.row_normalize = true;
    const Matrix rows = window_display_cells(v2, normalized, plan, cells);
    float row_max = 0;
    for (int64_t j = 0; j <= 55; ++j) row_max = std::max(row_max, dense.layers[1].attn2[1].at(55, j));
    CHECK(rows.at(5, 12) == Approx(dense.layers[1].attn2[1].at(55, 12) / row_max));
  }
}
