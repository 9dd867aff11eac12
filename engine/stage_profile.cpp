// Per-stage wall time of a run (stage_profile.h). Called by the thread that owns the model; add() also by the
// deferred results' helper thread.
#include "stage_profile.h"

#include <cstdlib>
#include <string>

#include <torch/cuda.h>

namespace diffscope {
namespace {

void synchronize(const at::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace

bool epilogue_baseline() {
  static const bool on = [] {
    const char* env = std::getenv("DIFFSCOPE_EPILOGUE_BASELINE");
    return env && std::string(env) == "1";
  }();
  return on;
}

StageProfile& StageProfile::instance() {
  static StageProfile profile;
  return profile;
}

void StageProfile::add(const std::string& name, double ms) {
  const std::lock_guard<std::mutex> lock(mutex_);
  milliseconds_[name] += ms;
}

std::map<std::string, double> StageProfile::take() {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, double> out;
  out.swap(milliseconds_);
  return out;
}

void profile_wait_for_device(const at::Device& device) {
  if (StageProfile::instance().enabled) synchronize(device);
}

ScopedStage::ScopedStage(const char* name, const at::Device& device)
    : name_(name), device_(device), on_(StageProfile::instance().enabled) {
  if (!on_) return;
  if (StageProfile::instance().synchronize) synchronize(device_);
  start_ = std::chrono::steady_clock::now();
}

ScopedStage::~ScopedStage() {
  if (!on_) return;
  if (StageProfile::instance().synchronize) synchronize(device_);
  StageProfile::instance().add(name_,
                                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count());
}

}  // namespace diffscope
