// The what-if controls' plain logic (ui/what_if_state.h) and the session fields that keep them (ui/session.h): a head
// carries one change at a time, "all heads" is head -1, the difference map is changed minus clean entry by entry
// (hand-made 2 x 2 maps), sessions round-trip interventions and the target and refuse a bad spec naming it. Test
// thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "session.h"
#include "what_if_state.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

std::vector<std::string> specs(const std::vector<Intervention>& list) {
  std::vector<std::string> out;
  for (const Intervention& iv : list) out.push_back(intervention_spec(iv));
  return out;
}

Matrix matrix(std::vector<float> values) {
  Matrix m;
  m.rows = m.cols = 2;
  m.values = std::move(values);
  return m;
}

// One Diff layer of one head, two tokens, A1 / A2 / D given.
AttentionSnapshot diff_run(float a1, float a2, float d) {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  s.model.num_heads = 1;
  s.tokens.resize(2);
  s.layers.resize(1);
  s.layers[0].attn1 = {matrix({1, 0, a1, 1 - a1})};
  s.layers[0].attn2 = {matrix({1, 0, a2, 1 - a2})};
  s.layers[0].diff = {matrix({0.5f, 0, d, 0.5f})};
  s.layers[0].lambda = matrix({0.4f, 0.4f, 0.4f, 0.4f});
  return s;
}

}  // namespace

TEST_CASE("a head carries one what-if change at a time; all heads of a layer is head -1") {
  std::vector<Intervention> list;
  add_intervention(list, make_intervention(2, 1, false, Intervention::What::Lambda, 0));
  add_intervention(list, make_intervention(2, 3, false, Intervention::What::AblateMean));
  add_intervention(list, make_intervention(2, 1, false, Intervention::What::LambdaScale, 0.5));  // replaces L2.H1's
  add_intervention(list, make_intervention(2, 1, true, Intervention::What::OnlyA2));             // the whole layer
  CHECK(specs(list) == std::vector<std::string>{"L2.H1:lambda_scale=0.5", "L2.H3:ablate=mean", "L2.H*:only=A2"});
  add_intervention(list, make_intervention(2, 0, true, Intervention::What::AblateZero));  // replaces L2.H*
  CHECK(specs(list).back() == "L2.H*:ablate=zero");
  CHECK(list.size() == 3);
}

TEST_CASE("the scan offers lambda and only= for Diff models and ablations for any") {
  CHECK(scan_what_choices(true) == std::vector<std::string>{"lambda0", "only=A2", "ablate=zero", "ablate=mean"});
  CHECK(scan_what_choices(false) == std::vector<std::string>{"ablate=zero", "ablate=mean"});
  for (const std::string& what : scan_what_choices(true)) CHECK_NOTHROW(scan_what(what));  // the scan parses each
}

TEST_CASE("the difference map is the changed run's map minus the clean run's, entry by entry") {
  const AttentionSnapshot clean = diff_run(0.25f, 0.5f, 0.1f), changed = diff_run(0.75f, 0.5f, -0.3f);
  const SnapshotPtr d = difference_snapshot(clean, changed);
  REQUIRE(d);
  CHECK(d->layers[0].attn1[0].values == std::vector<float>{0, 0, 0.5f, -0.5f});
  CHECK(d->layers[0].attn2[0].values == std::vector<float>{0, 0, 0, 0});
  CHECK(d->layers[0].diff[0].values[2] == Approx(-0.4f));
  CHECK(d->layers[0].lambda.values == changed.layers[0].lambda.values);  // lambda: the changed run's
  CHECK_FALSE(d->store);
  CHECK(difference_hover_text(0.25f, 0.75f) == "changed - clean = +0.5 (clean 0.25, changed 0.75)");

  AttentionSnapshot longer = changed;
  longer.tokens.resize(3);
  CHECK_FALSE(difference_snapshot(clean, longer));  // other tokens: no difference
  AttentionSnapshot no_maps = changed;
  no_maps.layers[0].attn1.clear();
  no_maps.layers[0].attn2.clear();
  no_maps.layers[0].diff.clear();
  CHECK_FALSE(has_dense_maps(no_maps));
  CHECK_FALSE(difference_snapshot(clean, no_maps));  // a long prompt's run (overviews only)
}

TEST_CASE("sessions keep each slot's interventions and the target, and refuse a bad spec naming it") {
  Session s;
  s.settings.prompt = "Paris is";
  s.interventions[0] = {parse_intervention("L5.H*:only=A2"), parse_intervention("L0.H1:lambda=0.25")};
  s.interventions[1] = {parse_intervention("L3.H7:ablate=mean")};
  s.target_text = " 4721";
  s.target_span = true;
  const std::string text = session_to_json(s);
  Session back;
  std::string error;
  REQUIRE(session_from_json(text, &back, &error));
  CHECK(specs(back.interventions[0]) == specs(s.interventions[0]));
  CHECK(specs(back.interventions[1]) == std::vector<std::string>{"L3.H7:ablate=mean"});
  CHECK(back.target_text == " 4721");
  CHECK(back.target_span);

  Session untouched;
  std::string bad = text;
  bad.replace(bad.find("L3.H7:ablate=mean"), 17, "L3.H7:ablate=half");
  CHECK_FALSE(session_from_json(bad, &untouched, &error));
  CHECK(error.find("\"interventions\".B") != std::string::npos);
  CHECK(error.find("ablate") != std::string::npos);
  CHECK(untouched.interventions[1].empty());
  CHECK_FALSE(session_from_json("{\"diffscope_session\": 1, \"interventions\": [\"L0.H0:only=A1\"]}", &untouched,
                                &error));
  CHECK(error.find("\"interventions\"") != std::string::npos);
  // Older sessions have neither field: nothing is intervened.
  REQUIRE(session_from_json("{\"diffscope_session\": 1}", &back, &error));
  CHECK(back.interventions[0].empty());
  CHECK(back.target_text.empty());
  CHECK_FALSE(back.target_span);
  CHECK_FALSE(session_from_json("{\"diffscope_session\": 1, \"target_span\": \"yes\"}", &untouched, &error));
  CHECK(error.find("\"target_span\"") != std::string::npos);
}
