// Hover tooltip values read back from a demo snapshot, and D = A1 - lambda A2 at the hovered cell. Test thread.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "demo_snapshot.h"
#include "hover_info.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("hover gathers every map's value at the cell") {
  DemoSpec d;
  d.text = "Paris 4721";
  const AttentionSnapshot diff = make_demo_snapshot(d);
  DemoSpec s = d;
  s.kind = AttentionKind::Standard;
  s.layers = 2;
  const AttentionSnapshot standard = make_demo_snapshot(s);
  const LambdaSummary diff_lambda = summarize_lambda(diff);

  const HoverValues h = hover_values(&diff, &diff_lambda, 1, 2, &standard, 0, 3, 6, 0);
  CHECK(h.query_token == "4");
  CHECK(h.key_token == "P");
  CHECK_FALSE(h.masked);
  REQUIRE(h.a1);
  REQUIRE(h.a2);
  REQUIRE(h.lambda);
  REQUIRE(h.diff);
  CHECK(*h.diff == Approx(*h.a1 - *h.lambda * *h.a2));
  REQUIRE(h.standard);
  CHECK(*h.standard == standard.layers[0].attn[3].at(6, 0));

  const HoverValues masked = hover_values(&diff, &diff_lambda, 0, 0, nullptr, 0, 0, 1, 4);
  CHECK(masked.masked);
  CHECK_FALSE(masked.standard);
  CHECK(*masked.a1 == 0.0f);
}

TEST_CASE("hover on a Diff V2 head reports the hovered row's own lambda") {
  DemoSpec d;
  d.tokens = 12;
  d.lambda_per_row = true;
  const AttentionSnapshot diff = make_demo_snapshot(d);
  const Matrix& lambda = diff.layers[1].lambda;  // [heads, T]
  const LambdaSummary diff_lambda = summarize_lambda(diff);
  REQUIRE(lambda.rows == d.heads);
  const HoverValues early = hover_values(&diff, &diff_lambda, 1, 2, nullptr, 0, 0, 3, 1);
  const HoverValues late = hover_values(&diff, &diff_lambda, 1, 2, nullptr, 0, 0, 9, 1);
  REQUIRE(early.lambda);
  REQUIRE(late.lambda);
  CHECK(early.lambda_per_row);
  CHECK(*early.lambda == lambda.at(2, 3));
  CHECK(*late.lambda == lambda.at(2, 9));
  CHECK(*early.lambda != *late.lambda);  // the demo's V2 lambda varies by row
  CHECK(*early.diff == Approx(*early.a1 - *early.lambda * *early.a2));
  CHECK(*late.diff == Approx(*late.a1 - *late.lambda * *late.a2));
  // V1 repeats one value: not per row.
  d.lambda_per_row = false;
  const AttentionSnapshot v1 = make_demo_snapshot(d);
  const LambdaSummary v1_lambda = summarize_lambda(v1);
  CHECK_FALSE(hover_values(&v1, &v1_lambda, 1, 2, nullptr, 0, 0, 3, 1).lambda_per_row);
  CHECK(v1.model.attention_variant == "diff-v1");
  CHECK(diff.model.attention_variant == "diff-v2");
}

TEST_CASE("missing layers, heads and snapshots give no value") {
  DemoSpec d;
  d.tokens = 4;
  const AttentionSnapshot diff = make_demo_snapshot(d);
  CHECK_FALSE(map_value(diff, MapKind::A1, 9, 0, 0, 0));
  CHECK_FALSE(map_value(diff, MapKind::A1, 0, 9, 0, 0));
  CHECK_FALSE(map_value(diff, MapKind::A1, 0, 0, 4, 0));
  CHECK_FALSE(map_value(diff, MapKind::Standard, 0, 0, 0, 0));
  const HoverValues h = hover_values(nullptr, nullptr, 0, 0, nullptr, 0, 0, 0, 0, 0.25f);
  CHECK(h.query_token.empty());
  CHECK(h.standard == 0.25f);
}

TEST_CASE("hover values copy as text: exact and pooled values, a masked cell (hand-derived)") {
  HoverValues h;
  h.row = 5;
  h.col = 2;
  h.a1 = 0.25f;
  h.a2 = 0.5f;
  h.lambda = 0.75f;
  h.diff = -0.125f;
  h.diff_pool = 4;
  CHECK(hover_values_text(h) ==
        "query 5 -> key 2\nA1\t0.25\nA2\t0.5\nlambda\t0.75\nD\t-0.125\tmax |value| of 4x4 tokens\n");
  HoverValues masked;
  masked.row = 1;
  masked.col = 3;
  masked.masked = true;
  masked.standard = 0.5f;
  CHECK(hover_values_text(masked) == "query 1 -> key 3\nmasked\n");
  HoverValues standard;
  standard.standard = 1e-7f;
  CHECK(hover_values_text(standard) == "query 0 -> key 0\nB\t1.00000001e-07\n");
}

TEST_CASE("hover says a key outside the hovered layer's sliding window is masked there, per model") {
  DemoSpec d;
  d.tokens = 10;
  AttentionSnapshot diff = make_demo_snapshot(d);
  DemoSpec s = d;
  s.kind = AttentionKind::Standard;
  AttentionSnapshot standard = make_demo_snapshot(s);
  diff.model.layer_windows = {0, 3};      // A: layer 1 sees the last 3 keys (HF's band i - 3 < j <= i)
  standard.model.layer_windows = {4, 0};  // B: layer 0 sees the last 4
  const LambdaSummary diff_lambda = summarize_lambda(diff);

  // Query 6, key 3: 6 - 3 = 3 >= 3, so outside A's layer 1 window; inside B's layer 0 window of 4 (3 > 6 - 4).
  HoverValues h = hover_values(&diff, &diff_lambda, 1, 0, &standard, 0, 0, 6, 3);
  CHECK_FALSE(h.masked);
  CHECK(h.diff_outside_window);
  CHECK(h.diff_window == 3);
  CHECK_FALSE(h.a1);  // no value: not attended with weight 0, not seen at all
  CHECK_FALSE(h.diff);
  CHECK_FALSE(h.standard_outside_window);
  REQUIRE(h.standard);
  CHECK(hover_values_text(h) == "query 6 -> key 3\nA\toutside layer 1's sliding window of 3 tokens\nB\t" +
                                    [&] {
                                      char v[32];
                                      std::snprintf(v, sizeof v, "%.9g", static_cast<double>(*h.standard));
                                      return std::string(v);
                                    }() + "\n");
  // Key 4 is the first A's layer 1 window holds for query 6: a value again.
  h = hover_values(&diff, &diff_lambda, 1, 0, &standard, 0, 0, 6, 4);
  CHECK_FALSE(h.diff_outside_window);
  CHECK(h.a1);
  // Query 6, key 2: outside B's window of 4 too; the head mean of B says so as well.
  h = hover_values(&diff, &diff_lambda, 1, 0, &standard, 0, 0, 6, 2, 0.0f);
  CHECK(h.standard_outside_window);
  CHECK_FALSE(h.standard);
  CHECK(hover_values_text(h) == "query 6 -> key 2\nA\toutside layer 1's sliding window of 3 tokens\n"
                                "B\toutside layer 0's sliding window of 4 tokens\n");
  // Layers without a window, a key after the query (the causal mask says it), and a rollout (windows off): no note.
  h = hover_values(&diff, &diff_lambda, 0, 0, &standard, 1, 0, 9, 0);
  CHECK_FALSE(h.diff_outside_window);
  CHECK_FALSE(h.standard_outside_window);
  h = hover_values(&diff, &diff_lambda, 1, 0, &standard, 0, 0, 2, 8);
  CHECK(h.masked);
  CHECK_FALSE(h.diff_outside_window);
  h = hover_values(&diff, &diff_lambda, 1, 0, &standard, 0, 0, 6, 2, std::nullopt, {}, false);
  CHECK_FALSE(h.diff_outside_window);
  CHECK_FALSE(h.standard_outside_window);
  CHECK(outside_window_text(5, 512) == "outside layer 5's sliding window of 512 tokens");
}
