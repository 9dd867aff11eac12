// Hover tooltip values read back from a demo snapshot, and D = A1 - lambda A2 at the hovered cell. Test thread.
#include <catch2/catch.hpp>

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
