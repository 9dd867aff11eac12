// Slot providers: the inference worker and demo snapshots. Main thread.
#include "gui_slots.h"

#include "demo_long.h"
#include "demo_snapshot.h"
#include "demo_store.h"
#include "torch_slot_model.h"

namespace diffscope {

namespace {

class WorkerSlots : public SlotProvider {
 public:
  WorkerSlots(std::function<void()> wake_ui, LoadOptions options)
      : worker_(load_torch_slot_model, std::move(wake_ui)), options_(std::move(options)) {}
  void load(int slot, const std::string& dir) override { worker_.load(slot, dir, options_); }
  void submit(const RunRequest& request) override { worker_.submit(request); }
  void cancel_load(int slot) override { worker_.cancel_load(slot); }
  void cancel_run() override { worker_.cancel_run(); }
  SlotState state(int slot) const override { return worker_.state(slot); }
  bool idle() const override { return worker_.idle(); }
  std::future<WindowResult> request_window(const WindowRequest& request) override {
    return worker_.request_window(request);
  }
  Model::DeviceMemory device_memory(int slot) const override { return worker_.device_memory(slot); }
  void scan(const ScanRequest& request) override { worker_.scan(request); }

 private:
  InferenceWorker worker_;
  LoadOptions options_;  // device and compute dtype of every load
};

}  // namespace

std::unique_ptr<SlotProvider> make_worker_slots(std::function<void()> wake_ui, const std::string& device,
                                               const std::string& dtype) {
  LoadOptions options;
  options.device = device;
  options.dtype = dtype;
  return std::make_unique<WorkerSlots>(std::move(wake_ui), std::move(options));
}

DemoSlots::DemoSlots(int tokens, bool overviews_only, int layers, int heads)
    : tokens_(tokens), overviews_only_(overviews_only), layers_(layers), heads_(heads) {
  for (int slot = 0; slot < kNumSlots; ++slot) {
    SlotState& s = states_[static_cast<size_t>(slot)];
    s.phase = SlotState::Phase::Ready;
    s.model_dir = slot == 0 ? "(demo diff)" : "(demo standard)";
    s.message = "loaded demo model";
    ModelInfo info;
    info.name = slot == 0 ? "demo-diff" : "demo-standard";
    info.model_type = slot == 0 ? "diffllama" : "llama";
    info.kind = slot == 0 ? AttentionKind::Differential : AttentionKind::Standard;
    info.num_layers = layers_;
    info.num_heads = slot == 0 ? heads_ : 2 * heads_;
    info.num_sub_heads = 2 * heads_;
    info.device = "demo";
    info.compute_dtype = "f32";
    s.info = info;
  }
}

void DemoSlots::load(int, const std::string&) {}

// Above this many tokens, --demo-overviews uses ui/demo_long.h (dense demo maps of 4 layers would need 4 x 4 x 3 maps
// of T^2 floats: 800 MiB at 4096 tokens).
constexpr int64_t kLongDemoTokens = 1024;

void DemoSlots::submit(const RunRequest& request) {
  for (int slot = 0; slot < kNumSlots; ++slot) {
    ui::DemoSpec spec;
    spec.kind = slot == 0 ? AttentionKind::Differential : AttentionKind::Standard;
    spec.layers = layers_;
    spec.heads = slot == 0 ? heads_ : 2 * heads_;
    spec.seed = static_cast<uint32_t>(7 + slot);
    if (tokens_ > 0) spec.tokens = tokens_;
    else spec.text = request.text;
    // Long prompts: maps as formulas (no dense map is ever made); shorter ones: dense demo maps cut into a store.
    auto snapshot = std::make_shared<AttentionSnapshot>(
        overviews_only_ && spec.tokens > kLongDemoTokens ? ui::make_long_demo_snapshot(spec) : ui::make_demo_snapshot(spec));
    if (overviews_only_ && spec.tokens <= kLongDemoTokens) ui::make_overview_only(*snapshot);
    snapshot->model.name = slot == 0 ? "demo-diff" : "demo-standard";
    SlotState& s = states_[static_cast<size_t>(slot)];
    s.snapshot = snapshot;
    s.snapshot_prompt_id = request.prompt_id;
    ++s.sequence;
    s.message = "ran " + std::to_string(snapshot->tokens.size()) + " demo tokens";
  }
}

std::future<WindowResult> DemoSlots::request_window(const WindowRequest& request) {
  std::promise<WindowResult> promise;
  WindowResult result;
  result.request = request;
  const SlotState* s = request.slot >= 0 && request.slot < kNumSlots ? &states_[static_cast<size_t>(request.slot)]
                                                                     : nullptr;
  if (s == nullptr || !s->snapshot) {
    result.error = "no such slot or no result";
  } else if (s->sequence != request.sequence) {
    result.superseded = true;
    result.error = "superseded";
  } else if (!s->snapshot->store) {
    result.error = "this result keeps no store of its maps";
  } else {
    try {
      result.map = s->snapshot->store->window(request.window);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
  }
  promise.set_value(std::move(result));
  return promise.get_future();
}

void DemoSlots::republish() {
  for (SlotState& s : states_) ++s.sequence;
}

}  // namespace diffscope
