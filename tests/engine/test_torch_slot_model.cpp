// The LibTorch model of a slot (engine/torch_slot_model.h): it loads a checkpoint with its tokenizer, gives way when
// asked to stop while loading, and names its tokenizer so that slots can tell whether ids move between them. Test
// thread.
#include <catch2/catch.hpp>

#include "errors.h"
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
