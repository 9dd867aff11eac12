// Internal to engine/: wall time per stage of a run, for `diffscope-cli bench --profile`. Off unless enabled; when on,
// each stage synchronizes the device at its start and end so that GPU work is charged to the stage that queued it
// (unless `synchronize` is off: then a stage's time is the host's time to queue it).
// Called by the thread that owns the model; add() also by deferred_host.h's helper thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <ATen/ATen.h>

namespace diffscope {

class StageProfile {
 public:
  static StageProfile& instance();
  bool enabled = false;
  bool synchronize = true;  // false: stages measure only the host's time to queue their work
  void add(const std::string& name, double ms);
  std::map<std::string, double> take();  // the stages' milliseconds since the last take, and a reset

 private:
  std::mutex mutex_;
  std::map<std::string, double> milliseconds_;  // accumulated per stage name
};

// DIFFSCOPE_EPILOGUE_BASELINE=1, for measuring session 9's changes against what they replaced in one call: each
// layer's statistics reduced and copied on their own (layer_scan.h), copies to the host on the compute stream
// (deferred_host.h), hidden-state figures by sorting (torch_stats.h magnitude_order_statistics).
bool epilogue_baseline();

// When profiling is on, waits for the device even in a host profile (`synchronize` off): for splitting the wait at a
// run's end into the device's share and the helper thread's (model.cpp). Otherwise does nothing.
void profile_wait_for_device(const at::Device& device);

// Charges the time from construction to destruction to `name` (when profiling is on). `device`: what to synchronize.
class ScopedStage {
 public:
  ScopedStage(const char* name, const at::Device& device);
  ~ScopedStage();
  ScopedStage(const ScopedStage&) = delete;
  ScopedStage& operator=(const ScopedStage&) = delete;

 private:
  const char* name_;
  at::Device device_;
  bool on_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace diffscope
