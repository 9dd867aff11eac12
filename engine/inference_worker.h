// The inference thread: owns the models of the app's slots (A: Diff model, B: standard model), runs the latest prompt
// through both and publishes immutable snapshots. Public methods may be called from any thread (the UI calls them
// every frame); they never wait for inference.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "model.h"
#include "snapshot.h"

namespace diffscope {

constexpr int kNumSlots = 2;  // slot 0 = "A", slot 1 = "B"

// What to run. The newest request replaces any that has not started, and stops a run in progress between layers.
struct RunRequest {
  std::string text;                              // the prompt (ignored when token_ids is set)
  std::optional<std::vector<int64_t>> token_ids; // ids given directly
  std::optional<std::pair<int64_t, int64_t>> span_bytes;  // relevant span as prompt byte offsets [begin, end)
  CaptureRequest capture;                        // which maps; capture.span is filled from span_bytes per model
};

// What the UI shows for one slot. A copy: safe to keep.
struct SlotState {
  enum class Phase { Empty, Loading, Ready, Failed };
  Phase phase = Phase::Empty;
  std::string model_dir;
  std::string message;               // progress or status text, or the error of the last load/run
  std::string error;                 // the error of the last load/run; empty when it succeeded
  std::optional<ModelInfo> info;     // set once loaded
  SnapshotPtr snapshot;              // latest result (may be from an older request while a new one runs)
  uint64_t sequence = 0;             // grows with every published snapshot of this slot
  bool running = false;              // a run for this slot is in progress
};

class InferenceWorker {
 public:
  // `wake_ui` is called (from the worker thread) whenever a state changes; the app passes glfwPostEmptyEvent.
  explicit InferenceWorker(std::function<void()> wake_ui = {});
  ~InferenceWorker();  // stops the thread; a run in progress is cancelled
  InferenceWorker(const InferenceWorker&) = delete;
  InferenceWorker& operator=(const InferenceWorker&) = delete;

  // Queue a model load into `slot` (replaces the model there once it loads; a failure keeps the message and leaves
  // the slot Failed). An empty `dir` unloads the slot.
  void load(int slot, const std::string& dir, const LoadOptions& options = {});
  // Queue a run on every loaded slot; the latest request wins.
  void submit(const RunRequest& request);
  SlotState state(int slot) const;
  bool idle() const;  // nothing queued and nothing running

 private:
  struct Slot;
  void thread_main();
  void notify();

  std::function<void()> wake_ui_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::optional<RunRequest> pending_run_;
  uint64_t run_generation_ = 0;            // bumped by submit(); a run whose generation is stale stops
  std::atomic<uint64_t> latest_generation_{0};
  bool stopping_ = false;
  bool busy_ = false;
  std::thread thread_;
};

}  // namespace diffscope
