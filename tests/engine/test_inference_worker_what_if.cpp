// The inference worker's what-if runs and head-effect scans (issue 14) driven by the fake model (fake_slot_model.h):
// a run request's interventions give the slot a changed run beside the clean one, whose next-token shift equals
// next_token_shift on the fake's hand-derived logits; a bad target keeps the clean run; a scan runs after the prompt's
// runs, reports progress, and is cancelled like a run. Test thread (the worker runs its own threads).
#include <catch2/catch.hpp>

#include <cmath>

#include "fake_slot_model.h"
#include "inference_worker.h"
#include "worker_fixture.h"

using namespace diffscope;
using namespace diffscope::fake;

namespace {

using Fixture = WorkerFixture;

Intervention intervention(int layer, int head) {
  Intervention iv;
  iv.layer = layer;
  iv.head = head;
  iv.what = Intervention::What::AblateZero;
  return iv;
}

}  // namespace

TEST_CASE("a run request's interventions give the slot a changed run and the next-token shift against the clean run") {
  Fixture f;
  f.worker.load(0, "a");
  f.worker.load(1, "b");
  REQUIRE(f.loaded(0, "a"));
  REQUIRE(f.loaded(1, "b"));
  RunRequest request;
  request.text = "ab";
  request.interventions[0] = {intervention(1, 2)};  // slot A only
  f.worker.submit(request);
  REQUIRE(f.idle());

  const SlotState a = f.worker.state(0), b = f.worker.state(1);
  REQUIRE(a.snapshot);
  REQUIRE(a.what_if);
  CHECK(a.what_if_error.empty());
  CHECK_FALSE(b.what_if);  // B was asked for no what-if
  CHECK(a.snapshot->request.interventions.empty());             // the clean run is clean
  REQUIRE(a.what_if->changed);
  REQUIRE(a.what_if->changed->request.interventions.size() == 1);  // the changed run carries them
  CHECK(a.what_if->changed->request.interventions[0].layer == 1);
  // A: the clean run, the changed run, and the logits of both (no target text: over the prompt itself).
  CHECK(f.script.count("run a ab") == 4);
  CHECK(f.script.count("run b ab") == 1);

  // The fake's last row: 4 at 'b' + 1 = 'c'; the intervention adds 2 at 16 * 1 + 2 = 18. Reference: next_token_shift
  // on those logits, with the clean run's most likely token ('c') as the target.
  std::vector<float> clean(FakeModel::kVocab, 0.0f), changed(FakeModel::kVocab, 0.0f);
  clean['c'] = changed['c'] = 4;
  changed[18] = 2;
  const PredictionShift want = next_token_shift(clean.data(), changed.data(), FakeModel::kVocab, 'c', 10);
  const PredictionShift& got = a.what_if->shift;
  REQUIRE(a.what_if->target_ids == std::vector<int64_t>{'c'});
  CHECK(got.kl == Approx(want.kl));
  CHECK(got.kl > 0);
  CHECK(got.target_logprob_clean == Approx(want.target_logprob_clean));
  CHECK(got.target_logprob_changed == Approx(want.target_logprob_changed));
  REQUIRE(got.top_changed.size() == 10);
  CHECK(got.top_changed[0].id == 'c');
  CHECK(got.top_changed[1].id == 18);
  CHECK(got.top_clean[1].id == 0);  // ties of the clean row: lowest id first

  // The next request without interventions publishes no what-if.
  request.interventions[0].clear();
  request.text = "abc";
  f.worker.submit(request);
  REQUIRE(f.idle());
  CHECK_FALSE(f.worker.state(0).what_if);
}

TEST_CASE("a what-if's target text is scored teacher-forced, and a bad one keeps the clean run with the error") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  RunRequest request;
  request.text = "ab";
  request.interventions[0] = {intervention(0, 0)};  // adds 2 at id 0 in every row
  request.target_text = "cd";
  f.worker.submit(request);
  REQUIRE(f.idle());
  SlotState a = f.worker.state(0);
  REQUIRE(a.what_if);
  CHECK(a.what_if->target_ids == std::vector<int64_t>{'c', 'd'});
  CHECK(f.script.count("run a abc") == 2);  // the prompt and the answer's tokens but the last, clean and changed
  // Rows 'b' and 'c' each put 4 on the next byte (the answer's token): log p = 4 - log(e^4 + 511) per token clean,
  // 4 - log(e^4 + e^2 + 510) changed.
  const double clean_one = 4 - std::log(std::exp(4.0) + 511);
  const double changed_one = 4 - std::log(std::exp(4.0) + std::exp(2.0) + 510);
  CHECK(a.what_if->shift.target_logprob_clean == Approx(2 * clean_one));
  CHECK(a.what_if->shift.target_logprob_changed == Approx(2 * changed_one));
  CHECK(a.what_if->shift.target_rank_clean == 1);

  // A target that does not fit: a prompt of 1020 bytes and a 10-byte answer exceed the fake's 1024 positions.
  request.text = std::string(1020, 'x');
  request.target_text = "0123456789";
  f.worker.submit(request);
  REQUIRE(f.idle());
  a = f.worker.state(0);
  CHECK_FALSE(a.what_if);
  CHECK(a.what_if_error.find("target text") != std::string::npos);
  REQUIRE(a.snapshot);
  CHECK(a.snapshot->tokens.size() == 1020);  // the clean run stands
  CHECK(a.error.empty());
}

TEST_CASE("a head-effect scan runs after the prompt's runs, shows progress, and lands in the slot") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  RunRequest prompt;
  prompt.text = "ab";
  prompt.prompt_id = 7;
  f.script.close("run a ab");
  f.worker.submit(prompt);
  ScanRequest scan;
  scan.slot = 0;
  scan.prompt = prompt;
  scan.target_text = "c";
  f.worker.scan(scan);
  REQUIRE(f.script.wait_for_event("layer 0 a ab"));
  CHECK(f.script.count("scan a ab") == 0);  // the run goes first
  f.script.close("scan");
  f.script.open("run a ab");
  REQUIRE(f.script.wait_for_event("scan layer 0 a"));
  SlotState s = f.worker.state(0);
  CHECK(s.scanning);
  CHECK(s.running);
  CHECK(s.progress >= 0);  // -1: nothing in progress
  CHECK_FALSE(f.worker.idle());
  f.script.open("scan");
  REQUIRE(f.idle());
  s = f.worker.state(0);
  CHECK_FALSE(s.scanning);
  REQUIRE(s.scan);
  CHECK(s.scan_prompt_id == 7);
  CHECK(s.scan_sequence == 1);
  CHECK(s.scan->target == std::vector<int64_t>{'c'});
  REQUIRE(s.scan->effects.size() == static_cast<size_t>(FakeModel::kLayers * 2));
  CHECK(s.scan->effects[0].layer == FakeModel::kLayers - 1);  // the largest drop first
  CHECK(s.scan->effects[0].head == 1);
  CHECK(s.scan_message.find("scanned 8 heads") == 0);
}

TEST_CASE("Cancel stops a scan between layers; a slot without a model says so") {
  Fixture f;
  ScanRequest scan;
  scan.slot = 1;
  scan.prompt.text = "ab";
  f.worker.scan(scan);
  REQUIRE(f.script.wait_until([&] { return f.worker.state(1).scan_sequence == 1; }));
  CHECK(f.worker.state(1).scan_error.find("no model") != std::string::npos);

  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  scan.slot = 0;
  f.script.close("scan");
  f.worker.scan(scan);
  REQUIRE(f.script.wait_for_event("scan layer 0 a"));
  f.worker.cancel_run();
  f.script.open("scan");
  REQUIRE(f.script.wait_for_event("scan cancelled a at layer 1"));
  REQUIRE(f.idle());
  const SlotState s = f.worker.state(0);
  CHECK_FALSE(s.scan);
  CHECK(s.scan_message == "scan cancelled");
  CHECK_FALSE(s.scanning);
  CHECK_FALSE(s.running);
}

TEST_CASE("a what-if's target can be the marked span: its tokens scored where they stand in the prompt") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  RunRequest request;
  request.text = "abcd";
  request.span_bytes = std::make_pair(int64_t{2}, int64_t{4});  // "cd": tokens 2 and 3
  request.interventions[0] = {intervention(0, 0)};                // adds 2 at id 0 in every row
  request.target_text = "ignored";                                // the span wins
  request.target_is_span = true;
  f.worker.submit(request);
  REQUIRE(f.idle());
  SlotState a = f.worker.state(0);
  REQUIRE(a.what_if);
  CHECK(a.what_if_error.empty());
  REQUIRE(a.what_if->target_span);
  CHECK(a.what_if->target_span->begin == 2);
  CHECK(a.what_if->target_span->end == 4);
  CHECK(a.what_if->target_ids == std::vector<int64_t>{'c', 'd'});
  CHECK(a.what_if->target_text.empty());
  CHECK(f.script.count("run a abcd") == 4);  // clean, changed, both runs' logits: no teacher-forced answer
  // Rows 'b' and 'c' put 4 on 'c' and 'd' (as in the target-text case): the same hand-derived log p per token.
  const double clean_one = 4 - std::log(std::exp(4.0) + 511);
  const double changed_one = 4 - std::log(std::exp(4.0) + std::exp(2.0) + 510);
  CHECK(a.what_if->shift.target_logprob_clean == Approx(2 * clean_one));
  CHECK(a.what_if->shift.target_logprob_changed == Approx(2 * changed_one));
  CHECK(a.what_if->shift.target_rank_clean == 1);
  CHECK(a.what_if->shift.target_rank_changed == 1);
  REQUIRE_FALSE(a.what_if->shift.top_clean.empty());
  CHECK(a.what_if->shift.top_clean[0].id == 'e');  // the top list stays the next token's (after 'd')

  // No span marked, or one that starts at the first token (nothing before it predicts it): the clean run stands.
  request.span_bytes.reset();
  f.worker.submit(request);
  REQUIRE(f.idle());
  a = f.worker.state(0);
  CHECK_FALSE(a.what_if);
  CHECK(a.what_if_error.find("no span is marked") != std::string::npos);
  request.span_bytes = std::make_pair(int64_t{0}, int64_t{1});
  request.text = "abce";
  f.worker.submit(request);
  REQUIRE(f.idle());
  a = f.worker.state(0);
  CHECK_FALSE(a.what_if);
  CHECK(a.what_if_error.find("span R") != std::string::npos);
  REQUIRE(a.snapshot);
  CHECK(a.snapshot->tokens.size() == 4);
}
