// Internal to engine/: wall time per stage of a run, for `diffscope-cli bench --profile`. Off unless enabled; when on,
// each stage synchronizes the device at its start and end so that GPU work is charged to the stage that queued it.
// Called by the thread that owns the model.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <ATen/ATen.h>

namespace diffscope {

class StageProfile {
 public:
  static StageProfile& instance();
  bool enabled = false;
  std::map<std::string, double> milliseconds;  // accumulated per stage name since the last reset
  void reset() { milliseconds.clear(); }
};

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
