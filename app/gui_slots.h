// Where the app's two slots get their state: the real inference worker, or synthetic demo snapshots (--demo, the
// frame-time benchmark). Main thread (the worker behind it runs its own thread).
#pragma once

#include <array>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "inference_worker.h"

namespace diffscope {

class SlotProvider {
 public:
  virtual ~SlotProvider() = default;
  virtual void load(int slot, const std::string& dir) = 0;
  virtual void submit(const RunRequest& request) = 0;
  virtual void cancel_load(int slot) = 0;  // InferenceWorker::cancel_load / cancel_run
  virtual void cancel_run() = 0;
  virtual SlotState state(int slot) const = 0;
  virtual bool idle() const = 0;
  // A window of a map of the snapshot a slot shows (views of long prompts refine their overviews with it); the future
  // is ready once it is computed or refused (superseded when the slot shows a newer snapshot).
  virtual std::future<WindowResult> request_window(const WindowRequest& request) = 0;
  // What the device allocator of a slot's model holds (InferenceWorker::device_memory); zeros without a GPU.
  virtual Model::DeviceMemory device_memory(int) const { return {}; }
  // A head-effect scan (InferenceWorker::scan); demo slots have no model to scan and ignore it.
  virtual void scan(const ScanRequest&) {}
};

// The InferenceWorker; `wake_ui` is called from the worker thread when a state changes.
// Models load on `device` ("auto", "cpu", "cuda", "cuda:N") in `dtype` ("f32", "bf16", "f16"), as the CLI's options.
std::unique_ptr<SlotProvider> make_worker_slots(std::function<void()> wake_ui, const std::string& device = "auto",
                                               const std::string& dtype = "f32");

// Demo snapshots: slot A a Diff model (`layers` layers x `heads` heads, default 4 x 4), slot B a standard one (`layers`
// x 2 `heads`: as many softmax maps a layer). A submitted prompt becomes byte tokens; `tokens` > 0 fixes the token count instead (benchmark). With `overviews_only` the
// snapshots look like a long prompt's run (no dense map; overviews and a store, ui/demo_store.h) and windows are
// answered at once from the store.
class DemoSlots : public SlotProvider {
 public:
  explicit DemoSlots(int tokens, bool overviews_only = false, int layers = 4, int heads = 4);
  void load(int slot, const std::string& dir) override;
  void submit(const RunRequest& request) override;
  void cancel_load(int) override {}  // demo slots load and run at once: nothing is ever in progress
  void cancel_run() override {}
  SlotState state(int slot) const override { return states_[static_cast<size_t>(slot)]; }
  bool idle() const override { return true; }
  std::future<WindowResult> request_window(const WindowRequest& request) override;
  // Publishes the same maps again under a new sequence number, as a new run would (benchmark of texture uploads).
  void republish();

 private:
  int tokens_;
  bool overviews_only_;
  int layers_, heads_;
  std::array<SlotState, kNumSlots> states_;
};

}  // namespace diffscope
