// The LibTorch model of a slot (engine/torch_slot_model.h): it loads a checkpoint with its tokenizer, gives way when
// asked to stop while loading, and names its tokenizer so that slots can tell whether ids move between them. Test
// thread. The worker case runs on $DIFFSCOPE_TEST_DEVICE: on a GPU the two slots' runs overlap.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

#include "errors.h"
#include "inference_worker.h"
#include "test_device.h"
#include "torch_slot_model.h"

using namespace diffscope;

namespace {

const std::string kFixture = std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_gqa_tied";
const std::string kModels = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";

}  // namespace

TEST_CASE("a slot's model loads, runs and names its tokenizer") {
  LoadOptions options;
  options.device = "cpu";
  int reports = 0;
  options.progress = [&](float, const std::string&) { ++reports; };
  const auto never = [] { return false; };
  const std::unique_ptr<SlotModel> model = load_torch_slot_model(kFixture, options, never);
  REQUIRE(model);
  CHECK(reports > 2);  // the caller's progress still gets every report
  CHECK(model->tokenizer_id() == "bytes");  // the fixture has no tokenizer.json
  const std::vector<Token> tokens = model->encode("hi");
  CaptureRequest capture;
  capture.maps = CaptureRequest::Maps::None;
  const AttentionSnapshot snapshot = model->run(tokens, capture, never);
  CHECK(snapshot.tokens.size() == 2);
  CHECK(static_cast<int>(snapshot.layers.size()) == model->info().num_layers);
  CHECK(model->device_memory().current == 0);  // on the CPU the process's RSS says it; the allocator counts nothing

  // The bundled pair shares one tokenizer.json: ids move between them.
  const auto diff = load_torch_slot_model(kModels + "/diff", options, never);
  const auto standard = load_torch_slot_model(kModels + "/standard", options, never);
  CHECK(diff->tokenizer_id() == standard->tokenizer_id());
  CHECK(diff->tokenizer_id() != model->tokenizer_id());
  CHECK(diff->tokenizer_id().rfind("tokenizer.json", 0) == 0);
}

TEST_CASE("a load gives way at a progress report when asked to stop") {
  LoadOptions options;
  options.device = "cpu";
  int checks = 0;
  // Stop at the third check: inside the loop over layers' weights.
  const auto stop_soon = [&] { return ++checks >= 3; };
  CHECK_THROWS_AS(load_torch_slot_model(kFixture, options, stop_soon), Cancelled);
  CHECK(checks == 3);
  // The same folder loads afterwards (nothing was left half-open).
  CHECK(load_torch_slot_model(kFixture, options, [] { return false; }));
}

namespace {

// Largest |a - b| over two equally long matrices (infinity when their shapes differ).
double max_difference(const Matrix& a, const Matrix& b) {
  if (a.rows != b.rows || a.cols != b.cols || a.values.size() != b.values.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.values.size(); ++i) worst = std::max(worst, std::fabs(double(a.values[i]) - b.values[i]));
  return worst;
}

}  // namespace

TEST_CASE("the worker's two slots, running at once on a GPU, give what each model gives alone") {
  const LoadOptions options = test_load_options();
  const auto never = [] { return false; };
  const std::string prompt = "The magic number of Paris is 4721. The magic number of Rome is 1862. What is the magic "
                             "number of Paris? It is 4721. What is the magic number of Rome? It is";
  CaptureRequest capture;
  capture.maps = CaptureRequest::Maps::None;
  capture.logits = true;
  capture.overviews = true;
  capture.keep_store = true;
  // Each model alone, on this thread.
  std::vector<AttentionSnapshot> alone;
  for (const char* name : {"diff", "standard"}) {
    const auto model = load_torch_slot_model(kModels + "/" + name, options, never);
    alone.push_back(model->run(model->encode(prompt), capture, never));
  }

  InferenceWorker worker(load_torch_slot_model);
  worker.load(0, kModels + "/diff", options);
  worker.load(1, kModels + "/standard", options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  const auto wait = [&](const std::function<bool()>& done) {
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  };
  REQUIRE(wait([&] {
    return worker.state(0).phase == SlotState::Phase::Ready && worker.state(1).phase == SlotState::Phase::Ready;
  }));
  RunRequest request;
  request.capture = capture;
  // Three rounds: every one runs both slots together (on the CPU they take turns).
  for (uint64_t round = 1; round <= 3; ++round) {
    request.text = prompt;
    request.prompt_id = round;
    worker.submit(request);
    REQUIRE(wait([&] {
      return worker.idle() && worker.state(0).snapshot_prompt_id == round && worker.state(1).snapshot_prompt_id == round;
    }));
    for (int slot = 0; slot < 2; ++slot) {
      const SlotState s = worker.state(slot);
      INFO("slot " << slot << ", round " << round << " on " << options.device);
      REQUIRE(s.error.empty());
      REQUIRE(s.snapshot);
      const AttentionSnapshot& ran = *s.snapshot;
      const AttentionSnapshot& ref = alone[static_cast<size_t>(slot)];
      CHECK(max_difference(ran.logits, ref.logits) <= 1e-5);
      REQUIRE(ran.layers.size() == ref.layers.size());
      for (size_t l = 0; l < ran.layers.size(); ++l) {
        for (MapKind kind : map_kinds_of(ran.model)) {
          const auto& a = ran.layers[l].stats(kind);
          const auto& b = ref.layers[l].stats(kind);
          REQUIRE(a.size() == b.size());
          for (size_t h = 0; h < a.size(); ++h) {
            CHECK(std::fabs(a[h].entropy - b[h].entropy) <= 1e-6);
            CHECK(std::fabs(a[h].max_attention - b[h].max_attention) <= 1e-6);
          }
          CHECK(max_difference(ran.layers[l].overview.maps(kind)[0], ref.layers[l].overview.maps(kind)[0]) <= 1e-6);
        }
      }
    }
  }
}
