// The inference worker driven by a fake model (fake_slot_model.h): the latest request wins, a new prompt cancels a
// run within one layer, loads replace loads, a failed load keeps the slot's model (an empty slot becomes Failed),
// windows are served during runs, models are destroyed without the worker's lock, one place reruns after a load, a
// continuation runs as the ids the model generated and says why it stopped early, results carry their prompt's id, and
// a slot's device memory is its model's. Every wait is bounded. Test thread (the worker runs its own threads).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "fake_slot_model.h"
#include "inference_worker.h"
#include "worker_fixture.h"

using namespace diffscope;
using namespace diffscope::fake;

namespace {

using Fixture = WorkerFixture;

std::string joined_text(const SnapshotPtr& snapshot) {
  std::string text;
  if (snapshot) {
    for (const Token& t : snapshot->tokens) text += t.text;
  }
  return text;
}

}  // namespace

TEST_CASE("the latest request wins: of three submitted during a run only the last runs after it") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  f.script.close("run a first");
  f.worker.submit(f.prompt("first"));
  REQUIRE(f.script.wait_for_event("layer 0 a first"));
  f.worker.submit(f.prompt("second"));
  f.worker.submit(f.prompt("third"));
  f.worker.submit(f.prompt("fourth"));
  f.script.open("run a first");
  REQUIRE(f.shows(0, "fourth"));
  REQUIRE(f.idle());
  CHECK(f.runs_of("a first") == 1);
  CHECK(f.runs_of("a second") == 0);
  CHECK(f.runs_of("a third") == 0);
  CHECK(f.runs_of("a fourth") == 1);
  CHECK(f.worker.state(0).sequence == 1);  // the first run was not published
}

TEST_CASE("a new prompt cancels a run in progress within one layer and its partial result is not published") {
  Fixture f;
  f.worker.load(0, "a");
  f.worker.load(1, "b");
  REQUIRE(f.loaded(0, "a"));
  REQUIRE(f.loaded(1, "b"));
  f.worker.submit(f.prompt("old"));
  REQUIRE(f.shows(0, "old"));
  REQUIRE(f.shows(1, "old"));
  const uint64_t sequence = f.worker.state(0).sequence;

  f.script.close("run a slow");
  f.worker.submit(f.prompt("slow"));
  REQUIRE(f.script.wait_for_event("layer 0 a slow"));  // layer 0 is in progress (waiting at its gate)
  CHECK(f.worker.state(0).running);
  f.worker.submit(f.prompt("new"));
  f.script.open("run a slow");
  // Layer 0 ends; the stop check before layer 1 sees the newer request.
  REQUIRE(f.script.wait_for_event("cancelled a slow at layer 1"));
  REQUIRE(f.shows(0, "new"));
  REQUIRE(f.shows(1, "new"));
  REQUIRE(f.idle());
  const SlotState a = f.worker.state(0);
  CHECK(a.runs_cancelled == 1);
  CHECK(a.sequence == sequence + 1);  // "old", then "new": nothing of "slow"
  CHECK(f.script.count("ran a slow") == 0);
  CHECK(f.runs_of("b slow") == 0);    // B never started the cancelled request
  CHECK(f.worker.state(1).runs_cancelled == 0);
}

TEST_CASE("a generation in progress is cancelled by a new prompt and publishes no continuation") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  f.script.close("generate");
  RunRequest more = f.prompt("tell");
  more.continue_tokens = 3;
  f.worker.submit(more);
  REQUIRE(f.script.wait_for_event("step 0 a tell"));
  f.worker.submit(f.prompt("other"));
  f.script.open("generate");
  REQUIRE(f.script.wait_for_event("cancelled generation a tell at step 1"));
  REQUIRE(f.shows(0, "other"));
  const SlotState a = f.worker.state(0);
  CHECK(a.continuation_sequence == 0);
  CHECK(a.runs_cancelled == 1);
}

TEST_CASE("a load queued while a load of the slot is in progress replaces it; a failing load leaves Failed") {
  Fixture f;
  f.worker.submit(f.prompt("hi"));
  f.script.close("load a1");
  f.worker.load(0, "a1");
  REQUIRE(f.script.wait_for_event("load step 0 a1"));  // step 0 passed its stop check
  f.worker.load(0, "a2");
  CHECK(f.worker.state(0).phase == SlotState::Phase::Loading);
  f.script.open("load a1");
  REQUIRE(f.script.wait_for_event("load cancelled a1 at step 1"));
  REQUIRE(f.loaded(0, "a2"));
  REQUIRE(f.shows(0, "hi"));
  CHECK(f.script.count("loaded a1") == 0);
  CHECK(f.worker.state(0).model_dir == "a2");

  // A failing load: the slot says why; the other slot and the worker go on.
  f.worker.load(1, "fail/b");
  REQUIRE(f.script.wait_until([&] { return f.worker.state(1).phase == SlotState::Phase::Failed; }));
  const SlotState b = f.worker.state(1);
  CHECK(b.error == "fail/b: config.json is not a model's");
  CHECK(b.message == b.error);
  CHECK_FALSE(b.info);
  f.worker.submit(f.prompt("again"));
  REQUIRE(f.shows(0, "again"));
  f.worker.load(1, "b");
  REQUIRE(f.loaded(1, "b"));
  REQUIRE(f.shows(1, "again"));
  CHECK(f.worker.state(1).error.empty());

  // Unloading cancels a load in progress too.
  f.script.close("load a3");
  f.worker.load(0, "a3");
  REQUIRE(f.script.wait_for_event("load step 0 a3"));
  f.worker.load(0, "");
  f.script.open("load a3");
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).phase == SlotState::Phase::Empty && f.worker.idle(); }));
  CHECK(f.script.count("loaded a3") == 0);
  CHECK_FALSE(f.worker.state(0).snapshot);
}

TEST_CASE("a load of a slot stops that slot's run in progress") {
  Fixture f;
  f.worker.load(0, "a1");
  REQUIRE(f.loaded(0, "a1"));
  f.script.close("run a1 long");
  f.worker.submit(f.prompt("long"));
  REQUIRE(f.script.wait_for_event("layer 0 a1 long"));
  f.worker.load(0, "a2");
  f.script.open("run a1 long");
  REQUIRE(f.script.wait_for_event("cancelled a1 long at layer 1"));
  REQUIRE(f.loaded(0, "a2"));
  REQUIRE(f.shows(0, "long"));
  CHECK(f.runs_of("a2 long") == 1);
}

TEST_CASE("windows are served between runs and during a run of either slot") {
  Fixture f;
  f.worker.load(0, "a");
  f.worker.load(1, "b");
  REQUIRE(f.loaded(0, "a"));
  REQUIRE(f.loaded(1, "b"));
  f.worker.submit(f.prompt("abcdef"));
  REQUIRE(f.shows(0, "abcdef"));
  REQUIRE(f.shows(1, "abcdef"));
  REQUIRE(f.idle());

  WindowRequest request;
  request.slot = 1;
  request.sequence = f.worker.state(1).sequence;
  request.window.layer = 2;
  request.window.head = 1;
  request.window.pool = 4;
  {
    INFO("between runs");
    auto future = f.worker.request_window(request);
    REQUIRE(future.wait_for(kFakeWait) == std::future_status::ready);
    const WindowResult result = future.get();
    REQUIRE(result.ok());
    CHECK(result.map.rows == 2);  // ceil(6 / 4)
    CHECK(result.map.cols == 2);
    CHECK(result.map.at(1, 1) == 201.0f);
  }

  // A run of A blocks in its first layer: windows of both slots' published maps are still answered.
  f.script.close("run a slow");
  f.worker.submit(f.prompt("slow"));
  REQUIRE(f.script.wait_for_event("layer 0 a slow"));
  for (int slot : {1, 0}) {
    INFO("slot " << slot << " during a run of slot A");
    WindowRequest r = request;
    r.slot = slot;
    r.sequence = f.worker.state(slot).sequence;
    auto future = f.worker.request_window(r);
    REQUIRE(future.wait_for(kFakeWait) == std::future_status::ready);
    const WindowResult result = future.get();
    CHECK(result.ok());
    CHECK(result.map.rows == 2);
  }
  CHECK(f.worker.state(0).running);
  CHECK(f.script.count("ran a slow") == 0);  // the run was still waiting in layer 0 throughout

  // A window of a snapshot the slot no longer shows is refused as superseded; one outside the map says why.
  WindowRequest stale = request;
  stale.sequence = request.sequence + 5;
  auto superseded = f.worker.request_window(stale);
  REQUIRE(superseded.wait_for(kFakeWait) == std::future_status::ready);
  const WindowResult refused = superseded.get();
  CHECK(refused.superseded);
  CHECK_FALSE(refused.ok());
  WindowRequest outside = request;
  outside.window.row_begin = 100;
  auto bad = f.worker.request_window(outside);
  REQUIRE(bad.wait_for(kFakeWait) == std::future_status::ready);
  CHECK(bad.get().error == "rows outside the map");

  f.script.open("run a slow");
  REQUIRE(f.shows(0, "slow"));
  REQUIRE(f.idle());
}

TEST_CASE("no model or snapshot is destroyed while the worker's lock is held") {
  Fixture f;
  std::mutex probes_mutex;
  std::vector<std::string> probed, blocked;
  auto probes_done = std::make_shared<std::atomic<int>>(0);  // probe threads that got their answer
  int probes_started = 0;
  // Each destructor asks for state() from another thread, as the UI does every frame, and gives it 2 s.
  f.script.on_destroy = [&](const std::string& what) {
    auto answered = std::make_shared<std::promise<void>>();
    std::future<void> ready = answered->get_future();
    InferenceWorker* worker = &f.worker;
    {
      std::lock_guard<std::mutex> lock(probes_mutex);
      ++probes_started;
    }
    std::thread([worker, answered, probes_done] {
      (void)worker->state(0);
      answered->set_value();
      ++*probes_done;
    }).detach();
    const bool free = ready.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
    {
      std::lock_guard<std::mutex> lock(probes_mutex);
      (free ? probed : blocked).push_back(what);
    }
    f.script.poke();
  };

  f.worker.submit(f.prompt("xy"));
  f.worker.load(0, "a1");
  REQUIRE(f.shows(0, "xy"));
  f.worker.submit(f.prompt("xyz"));  // replaces the snapshot (and its store) of "xy"
  REQUIRE(f.shows(0, "xyz"));
  f.worker.load(0, "a2");            // replaces model a1 and the snapshot of "xyz"
  REQUIRE(f.loaded(0, "a2"));
  REQUIRE(f.shows(0, "xyz"));        // (a load clears the snapshot: this is a2's run)
  f.worker.load(0, "fail/a3");       // a failed load keeps model a2 (and destroys nothing)
  REQUIRE(f.script.wait_until([&] { return !f.worker.state(0).load_error.empty() && f.worker.idle(); }));
  f.worker.load(0, "a4");            // replaces model a2
  REQUIRE(f.loaded(0, "a4"));
  REQUIRE(f.shows(0, "xyz"));
  f.worker.load(0, "");              // unloading drops model a4
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).phase == SlotState::Phase::Empty && f.worker.idle(); }));
  // Destructors run after the worker unlocks (it may look idle meanwhile): wait for all seven to be recorded.
  const auto recorded = [&] {
    std::lock_guard<std::mutex> lock(probes_mutex);
    return probed.size() + blocked.size() >= 7 && *probes_done == probes_started;
  };
  CHECK(f.script.wait_until(recorded));
  f.script.on_destroy = nullptr;

  std::lock_guard<std::mutex> lock(probes_mutex);
  for (const std::string& what : blocked) UNSCOPED_INFO("destroyed with the lock held: " << what);
  CHECK(blocked.empty());
  for (const char* what : {"model a1", "model a2", "model a4", "store a1 xy", "store a1 xyz", "store a2 xyz",
                           "store a4 xyz"}) {
    INFO(what);
    CHECK(std::count(probed.begin(), probed.end(), what) + std::count(blocked.begin(), blocked.end(), what) == 1);
  }
}

TEST_CASE("after a load the worker alone reruns the latest request, once, on the new model only") {
  Fixture f;
  f.worker.submit(f.prompt("p"));
  REQUIRE(f.idle());  // nothing is loaded: nothing runs
  CHECK(f.runs_of("a p") == 0);
  f.worker.load(0, "a");
  REQUIRE(f.shows(0, "p"));
  REQUIRE(f.idle());
  CHECK(f.runs_of("a p") == 1);
  f.worker.load(1, "b");
  REQUIRE(f.shows(1, "p"));
  REQUIRE(f.idle());
  CHECK(f.runs_of("b p") == 1);
  CHECK(f.runs_of("a p") == 1);  // A already answers "p"

  // Without any request yet, a load runs nothing.
  Fixture g;
  g.worker.load(0, "a");
  REQUIRE(g.loaded(0, "a"));
  REQUIRE(g.idle());
  CHECK(g.script.events() ==
        std::vector<std::string>{"load a", "load step 0 a", "load step 1 a", "load step 2 a", "loaded a"});
}

TEST_CASE("a continuation publishes the generated ids, and a run of them uses them as they are") {
  Fixture f;
  f.worker.load(0, "a");
  f.worker.load(1, "other-tokenizer/b");
  REQUIRE(f.loaded(0, "a"));
  REQUIRE(f.loaded(1, "other-tokenizer/b"));
  RunRequest more = f.prompt("The capital is ");
  more.continue_tokens = 1;
  f.worker.submit(more);
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).continuation_sequence == 1; }));
  const SlotState a = f.worker.state(0);
  CHECK(a.continuation == "Paris");
  CHECK(a.continued_text == "The capital is Paris");
  CHECK(a.continued_tokenizer == "fake-bytes");
  REQUIRE(a.continued_tokens.size() == 16);  // 15 prompt bytes, then the one generated id
  CHECK(a.continued_tokens.back().id == FakeModel::kParisId);
  CHECK(a.continued_tokens.back().text == "Paris");
  CHECK(a.continued_tokens.back().byte_begin == 15);
  CHECK(a.continued_tokens.back().byte_end == 20);

  RunRequest next = f.prompt(a.continued_text);
  next.tokens = a.continued_tokens;
  next.tokens_tokenizer = a.continued_tokenizer;
  next.span_bytes = std::make_pair<int64_t, int64_t>(16, 18);  // inside "Paris"
  f.worker.submit(next);
  REQUIRE(f.shows(0, "The capital is Paris"));
  REQUIRE(f.shows(1, "The capital is Paris"));
  const SlotState ran_a = f.worker.state(0), ran_b = f.worker.state(1);
  REQUIRE(ran_a.snapshot);
  REQUIRE(ran_b.snapshot);
  // A ran the generated id; B, whose tokenizer differs, ran its own tokens of the text.
  CHECK(ran_a.snapshot->tokens.size() == 16);
  CHECK(ran_a.snapshot->tokens.back().id == FakeModel::kParisId);
  REQUIRE(ran_a.snapshot->request.span);
  CHECK(ran_a.snapshot->request.span->begin == 15);
  CHECK(ran_a.snapshot->request.span->end == 16);
  CHECK(ran_b.snapshot->tokens.size() == 20);
  CHECK(joined_text(ran_b.snapshot) == "The capital is Paris");
}

TEST_CASE("a failed load keeps the slot's model, folder and snapshot, says what failed, and the slot still runs") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  RunRequest first = f.prompt("hi");
  first.prompt_id = 1;
  f.worker.submit(first);
  REQUIRE(f.shows(0, "hi"));
  const uint64_t sequence = f.worker.state(0).sequence;

  f.worker.load(0, "fail/typo");
  REQUIRE(f.script.wait_until([&] { return !f.worker.state(0).load_error.empty() && f.worker.idle(); }));
  const SlotState a = f.worker.state(0);
  CHECK(a.phase == SlotState::Phase::Ready);
  CHECK(a.model_dir == "a");
  REQUIRE(a.info);
  CHECK(a.info->name == "a");
  CHECK(a.load_error == "could not load fail/typo: fail/typo: config.json is not a model's (slot keeps a)");
  CHECK(a.sequence == sequence);  // the snapshot stands
  CHECK(joined_text(a.snapshot) == "hi");
  CHECK(a.snapshot_prompt_id == 1);
  CHECK(f.script.count("destroyed a") == 0);

  // The kept model answers the next prompt; the next load clears the load error.
  RunRequest second = f.prompt("again");
  second.prompt_id = 2;
  f.worker.submit(second);
  REQUIRE(f.shows(0, "again"));
  CHECK(f.worker.state(0).snapshot_prompt_id == 2);
  f.worker.load(0, "a2");
  REQUIRE(f.loaded(0, "a2"));
  CHECK(f.worker.state(0).load_error.empty());
  CHECK(f.worker.state(0).model_dir == "a2");
}

TEST_CASE("snapshots and failed runs carry the prompt id of the request they answer") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  RunRequest good = f.prompt("ok");
  good.prompt_id = 7;
  f.worker.submit(good);
  REQUIRE(f.shows(0, "ok"));
  CHECK(f.worker.state(0).snapshot_prompt_id == 7);
  RunRequest bad = f.prompt("");  // the fake refuses an empty prompt, as the engine does
  bad.prompt_id = 8;
  f.worker.submit(bad);
  REQUIRE(f.script.wait_until([&] { return !f.worker.state(0).error.empty() && f.worker.idle(); }));
  const SlotState a = f.worker.state(0);
  CHECK(a.failed_prompt_id == 8);
  CHECK(a.snapshot_prompt_id == 7);  // the old snapshot is still there, and says which prompt it belongs to
}

TEST_CASE("a continuation cut short by the context says so, and one that fails is published with its reason") {
  Fixture f;
  f.worker.load(0, "short/a");
  REQUIRE(f.loaded(0, "short/a"));
  RunRequest more = f.prompt("0123456789ab");  // 12 of 16 tokens
  more.continue_tokens = 8;
  f.worker.submit(more);
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).continuation_sequence == 1; }));
  SlotState a = f.worker.state(0);
  CHECK(a.continuation == "ParisParisParisParis");
  CHECK(a.continuation_message == "generated 4 of 8 tokens: the context of 16 tokens is full");

  RunRequest none = f.prompt("");
  none.continue_tokens = 8;
  f.worker.submit(none);
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).continuation_sequence == 2; }));
  a = f.worker.state(0);
  CHECK(a.continuation.empty());
  // The worker refuses an empty prompt itself (tokenizers may give ids for "", e.g. BOS alone).
  CHECK(a.continuation_message == "could not continue: the prompt is empty: type some text");
}

TEST_CASE("truncate keeps the first tokens that fit each model's context and says so") {
  Fixture f;
  f.worker.load(0, "short/a");  // a context of 16 tokens
  f.worker.load(1, "b");        // 1024
  REQUIRE(f.loaded(0, "short/a"));
  REQUIRE(f.loaded(1, "b"));
  RunRequest r = f.prompt("0123456789abcdefghijklmnop");  // 26 byte tokens
  r.truncate = true;
  f.worker.submit(r);
  REQUIRE(f.shows(0, "0123456789abcdef"));
  REQUIRE(f.shows(1, "0123456789abcdefghijklmnop"));  // it fits B's context: nothing cut
  CHECK(f.worker.state(0).message.find("(the first 16 of 26: the model's context)") != std::string::npos);
  CHECK(f.worker.state(1).message.find("the first") == std::string::npos);
}

TEST_CASE("Cancel stops a run within one layer, publishes nothing and runs nothing more until the next prompt") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  f.worker.submit(f.prompt("old"));
  REQUIRE(f.shows(0, "old"));
  const uint64_t sequence = f.worker.state(0).sequence;
  CHECK(f.worker.state(0).progress == -1);  // nothing in progress

  f.script.close("run a slow");
  f.worker.submit(f.prompt("slow"));
  REQUIRE(f.script.wait_for_event("layer 0 a slow"));
  CHECK(f.worker.state(0).progress == 0.0f);  // 0 of 4 layers done
  CHECK(f.worker.state(0).running);
  CHECK(f.worker.state(0).started_seconds > 0);
  f.worker.cancel_run();
  f.script.open("run a slow");
  REQUIRE(f.script.wait_for_event("cancelled a slow at layer 1"));
  REQUIRE(f.idle());
  SlotState a = f.worker.state(0);
  CHECK(a.message == "run cancelled");
  CHECK(a.sequence == sequence);  // "old" still shown, nothing of "slow"
  CHECK(a.progress == -1);
  CHECK(a.started_seconds == 0);
  CHECK_FALSE(a.running);
  CHECK(f.runs_of("a slow") == 1);

  // A load after a cancel runs nothing (the request was dropped); the next prompt runs.
  f.worker.load(0, "a2");
  REQUIRE(f.loaded(0, "a2"));
  REQUIRE(f.idle());
  CHECK(f.runs_of("a2 slow") == 0);
  f.worker.submit(f.prompt("new"));
  REQUIRE(f.shows(0, "new"));
}

TEST_CASE("Cancel of a load keeps the slot's model, or leaves an empty slot empty; loads report progress") {
  Fixture f;
  f.worker.load(0, "a1");
  REQUIRE(f.loaded(0, "a1"));
  f.worker.submit(f.prompt("hi"));
  REQUIRE(f.shows(0, "hi"));

  f.script.close("load a2");
  f.worker.load(0, "a2");
  REQUIRE(f.script.wait_for_event("load step 0 a2"));  // the loader reports step 0 of 3, then waits at its gate
  REQUIRE(f.script.wait_until([&] { return f.worker.state(0).message == "loading: step (0%)"; }));
  CHECK(f.worker.state(0).phase == SlotState::Phase::Loading);
  CHECK(f.worker.state(0).progress == 0.0f);
  f.worker.cancel_load(0);
  SlotState a = f.worker.state(0);  // at once, while the loader still waits at its gate
  CHECK(a.phase == SlotState::Phase::Ready);
  CHECK(a.model_dir == "a1");
  CHECK(a.message == "cancelled loading a2 (slot keeps a1)");
  f.script.open("load a2");
  REQUIRE(f.script.wait_for_event("load cancelled a2 at step 1"));
  REQUIRE(f.idle());
  a = f.worker.state(0);
  CHECK(a.phase == SlotState::Phase::Ready);
  CHECK(a.info->name == "a1");
  CHECK(joined_text(a.snapshot) == "hi");
  CHECK(f.script.count("loaded a2") == 0);
  CHECK(a.progress == -1);

  // An empty slot: a cancelled load leaves it empty.
  f.script.close("load b");
  f.worker.load(1, "b");
  REQUIRE(f.script.wait_for_event("load step 0 b"));
  f.worker.cancel_load(1);
  f.script.open("load b");
  REQUIRE(f.idle());
  const SlotState b = f.worker.state(1);
  CHECK(b.phase == SlotState::Phase::Empty);
  CHECK(b.message == "cancelled loading b");
  CHECK_FALSE(b.info);
  f.worker.cancel_load(1);  // nothing to cancel: no change
  CHECK(f.worker.state(1).message == "cancelled loading b");
}

TEST_CASE("a run's progress counts its layers") {
  // The UI's wake-up reads the state each time the worker reports (as the app's frame would).
  Script script;
  std::mutex seen_mutex;
  std::vector<float> seen;
  std::atomic<InferenceWorker*> worker_ptr{nullptr};
  InferenceWorker worker{fake_loader(script), [&] {
                           if (InferenceWorker* w = worker_ptr.load()) {
                             const float p = w->state(0).progress;
                             std::lock_guard<std::mutex> lock(seen_mutex);
                             if (seen.empty() || seen.back() != p) seen.push_back(p);
                           }
                           script.poke();
                         }};
  worker.load(0, "a");
  REQUIRE(script.wait_until([&] { return worker.state(0).phase == SlotState::Phase::Ready; }));
  worker_ptr = &worker;
  RunRequest r;
  r.text = "xy";
  worker.submit(r);
  REQUIRE(script.wait_for_event("ran a xy"));
  REQUIRE(script.wait_until([&] { return worker.idle() && worker.state(0).sequence == 1; }));
  // The worker publishes the finished state under its lock and wakes the UI after releasing it, so the last
  // wake-up can come after idle() turns true: wait for it rather than racing it.
  script.wait_until([&] {
    std::lock_guard<std::mutex> lock(seen_mutex);
    return !seen.empty() && seen.back() == -1.0f;
  });
  worker_ptr = nullptr;
  std::lock_guard<std::mutex> lock(seen_mutex);
  // 0, 1/4, 2/4, 3/4 before layers 0-3 (FakeModel::kLayers = 4), then -1 when the run is over.
  CHECK(seen == std::vector<float>{0.0f, 0.25f, 0.5f, 0.75f, -1.0f});
}

TEST_CASE("device memory is the slot's model's, and zero for an empty slot") {
  Fixture f;
  CHECK(f.worker.device_memory(0).current == 0);
  CHECK(f.worker.device_memory(7).peak == 0);  // no such slot
  f.worker.load(1, "bb");
  REQUIRE(f.loaded(1, "bb"));
  CHECK(f.worker.device_memory(1).current == 2000);  // the fake reports 1000 per letter of its name
  CHECK(f.worker.device_memory(1).peak == 4000);
  CHECK(f.worker.device_memory(0).current == 0);
}

TEST_CASE("slots on a GPU run at the same time; on the CPU they take turns, slot A first") {
  SECTION("GPU: both runs are in flight together") {
    Fixture f;
    f.worker.load(0, "gpu/a");
    f.worker.load(1, "gpu/b");
    REQUIRE(f.loaded(0, "gpu/a"));
    REQUIRE(f.loaded(1, "gpu/b"));
    f.script.close("run gpu/a xy");
    f.script.close("run gpu/b xy");
    f.worker.submit(f.prompt("xy"));
    // Each waits at its layer 0 gate: both started before either finished.
    REQUIRE(f.script.wait_for_event("layer 0 gpu/a xy"));
    REQUIRE(f.script.wait_for_event("layer 0 gpu/b xy"));
    CHECK(f.worker.state(0).running);
    CHECK(f.worker.state(1).running);
    CHECK_FALSE(f.worker.idle());
    f.script.open("run gpu/b xy");
    REQUIRE(f.shows(1, "xy"));  // B finishes while A still waits
    CHECK(f.worker.state(0).running);
    f.script.open("run gpu/a xy");
    REQUIRE(f.shows(0, "xy"));
    REQUIRE(f.idle());
  }
  SECTION("CPU: B starts only after A's run ended") {
    Fixture f;
    f.worker.load(0, "a");
    f.worker.load(1, "b");
    REQUIRE(f.loaded(0, "a"));
    REQUIRE(f.loaded(1, "b"));
    f.script.close("run a xy");
    f.worker.submit(f.prompt("xy"));
    REQUIRE(f.script.wait_for_event("layer 0 a xy"));
    // B's thread is free and the request is there; give it time to (wrongly) start.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(f.runs_of("b xy") == 0);
    CHECK_FALSE(f.worker.state(1).running);
    f.script.open("run a xy");
    REQUIRE(f.shows(1, "xy"));
    REQUIRE(f.shows(0, "xy"));
    const std::vector<std::string> events = f.script.events();
    const auto ran_a = std::find(events.begin(), events.end(), "ran a xy");
    const auto run_b = std::find(events.begin(), events.end(), "run b xy");
    REQUIRE(ran_a != events.end());
    REQUIRE(run_b != events.end());
    CHECK(ran_a < run_b);
  }
  SECTION("a CPU slot and a GPU slot run at the same time") {
    Fixture f;
    f.worker.load(0, "a");
    f.worker.load(1, "gpu/b");
    REQUIRE(f.loaded(0, "a"));
    REQUIRE(f.loaded(1, "gpu/b"));
    f.script.close("run a xy");
    f.worker.submit(f.prompt("xy"));
    REQUIRE(f.script.wait_for_event("layer 0 a xy"));
    REQUIRE(f.shows(1, "xy"));  // while A waits at its gate
    f.script.open("run a xy");
    REQUIRE(f.shows(0, "xy"));
  }
}

TEST_CASE("a slot runs while the other slot loads") {
  Fixture f;
  f.worker.load(0, "gpu/a");
  REQUIRE(f.loaded(0, "gpu/a"));
  f.script.close("load gpu/b");
  f.worker.load(1, "gpu/b");
  REQUIRE(f.script.wait_for_event("load step 0 gpu/b"));
  f.worker.submit(f.prompt("hi"));
  REQUIRE(f.shows(0, "hi"));  // A answers while B's load waits at its gate
  CHECK(f.worker.state(1).phase == SlotState::Phase::Loading);
  f.script.open("load gpu/b");
  REQUIRE(f.shows(1, "hi"));  // B's new model then answers the same request, once
  REQUIRE(f.idle());
  CHECK(f.runs_of("gpu/a hi") == 1);
  CHECK(f.runs_of("gpu/b hi") == 1);
}

TEST_CASE("folders load one at a time: the other slot's load waits its turn, and a Cancel meanwhile stops it") {
  Fixture f;
  f.script.close("load gpu/a");
  f.worker.load(0, "gpu/a");
  REQUIRE(f.script.wait_for_event("load step 0 gpu/a"));
  f.worker.load(1, "gpu/b");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(f.script.count("load gpu/b") == 0);  // queued behind A's load
  CHECK(f.worker.state(1).phase == SlotState::Phase::Loading);
  SECTION("then it loads") {
    f.script.open("load gpu/a");
    REQUIRE(f.loaded(1, "gpu/b"));
    const std::vector<std::string> events = f.script.events();
    const auto a_done = std::find(events.begin(), events.end(), "loaded gpu/a");
    const auto b_start = std::find(events.begin(), events.end(), "load gpu/b");
    REQUIRE(a_done != events.end());
    REQUIRE(b_start != events.end());
    CHECK(a_done < b_start);
  }
  SECTION("a cancelled load that waits for its turn never starts") {
    f.worker.cancel_load(1);
    CHECK(f.worker.state(1).phase == SlotState::Phase::Empty);
    f.script.open("load gpu/a");
    REQUIRE(f.loaded(0, "gpu/a"));
    REQUIRE(f.idle());
    CHECK(f.script.count("load gpu/b") == 0);
  }
}

TEST_CASE("unloading a slot does not wait for the other slot's load") {
  Fixture f;
  f.worker.load(1, "gpu/b");
  REQUIRE(f.loaded(1, "gpu/b"));
  f.script.close("load gpu/a");
  f.worker.load(0, "gpu/a");
  REQUIRE(f.script.wait_for_event("load step 0 gpu/a"));
  f.worker.load(1, "");
  REQUIRE(f.script.wait_for_event("destroyed gpu/b"));  // while A's load waits at its gate
  CHECK(f.script.count("loaded gpu/a") == 0);
  f.script.open("load gpu/a");
  REQUIRE(f.loaded(0, "gpu/a"));
}

TEST_CASE("a continuation waits for loads, then runs on the first ready slot; with no model it is dropped") {
  Fixture f;
  RunRequest cont;
  cont.text = "ab";
  cont.continue_tokens = 1;
  f.worker.submit(cont);  // no slot holds a model
  REQUIRE(f.idle());
  CHECK(f.script.count("generate a ab") == 0);

  f.worker.load(1, "gpu/b");
  REQUIRE(f.loaded(1, "gpu/b"));
  f.script.close("load a");
  f.worker.load(0, "a");
  REQUIRE(f.script.wait_for_event("load step 0 a"));
  f.worker.submit(cont);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(f.script.count("generate gpu/b ab") == 0);  // B is ready, but A's load comes first
  f.script.open("load a");
  REQUIRE(f.idle());
  CHECK(f.script.count("generate a ab") == 1);
  CHECK(f.worker.state(0).continuation == "Paris");
  CHECK(f.script.count("generate gpu/b ab") == 0);
}

TEST_CASE("with a dense-maps budget the worker decides per run from its token count and the loaded models") {
  Fixture f;
  f.worker.load(0, "a");
  f.worker.load(1, "b");
  REQUIRE(f.loaded(0, "a"));
  REQUIRE(f.loaded(1, "b"));
  // Each fake: 4 layers x 2 heads of one map, vocabulary 512. Two tokens: (16 maps x 2 + 1024) x 2 x 4 bytes.
  const std::vector<ModelInfo> models = {*f.worker.state(0).info, *f.worker.state(1).info};
  REQUIRE(dense_map_bytes(models, 2) == (16 * 2 + 1024) * 2 * 4);
  RunRequest r = f.prompt("xy");
  r.capture.maps = CaptureRequest::Maps::None;
  r.dense_maps_budget = dense_map_bytes(models, 2);
  f.worker.submit(r);
  REQUIRE(f.shows(0, "xy"));
  REQUIRE(f.shows(1, "xy"));
  REQUIRE(f.idle());
  CHECK(f.worker.state(0).snapshot->request.maps == CaptureRequest::Maps::All);
  CHECK(f.worker.state(0).snapshot->request.logits);
  CHECK(f.worker.state(1).snapshot->request.maps == CaptureRequest::Maps::All);

  r.text = "xyz";  // three tokens pass the same budget: statistics, overviews and the store only
  f.worker.submit(r);
  REQUIRE(f.shows(0, "xyz"));
  REQUIRE(f.shows(1, "xyz"));
  CHECK(f.worker.state(0).snapshot->request.maps == CaptureRequest::Maps::None);
  CHECK_FALSE(f.worker.state(0).snapshot->request.logits);

  // A slot that runs while the other has no model counts its own maps only.
  f.worker.load(1, "");
  REQUIRE(f.script.wait_until([&] { return !f.worker.state(1).info; }));  // Empty at once; info goes with the model
  r.text = "abc";
  r.dense_maps_budget = dense_map_bytes({models[0]}, 3);
  f.worker.submit(r);
  REQUIRE(f.shows(0, "abc"));
  CHECK(f.worker.state(0).snapshot->request.maps == CaptureRequest::Maps::All);
}

TEST_CASE("dense maps decided while the other slot's model loaded are run again when both pass the budget") {
  Fixture f;
  f.worker.load(0, "a");
  REQUIRE(f.loaded(0, "a"));
  f.script.close("load b");
  f.worker.load(1, "b");
  REQUIRE(f.script.wait_for_event("load step 0 b"));
  const std::vector<ModelInfo> one = {*f.worker.state(0).info};
  RunRequest r = f.prompt("xy");
  r.dense_maps_budget = dense_map_bytes(one, 2);  // A alone fits; A and B (twice the bytes) do not
  f.worker.submit(r);
  REQUIRE(f.shows(0, "xy"));
  CHECK(f.worker.state(0).snapshot->request.maps == CaptureRequest::Maps::All);  // B's model was not known yet
  f.script.open("load b");
  REQUIRE(f.shows(1, "xy"));
  REQUIRE(f.idle());
  CHECK(f.worker.state(1).snapshot->request.maps == CaptureRequest::Maps::None);
  CHECK(f.worker.state(0).snapshot->request.maps == CaptureRequest::Maps::None);  // A ran again, with B counted
  CHECK(f.runs_of("a xy") == 2);
  CHECK(f.runs_of("b xy") == 1);
}
