// Internal to engine/: results that reach the host once, at the end of a run, instead of layer by layer. Every copy
// from a GPU to the host waits for the device; a run that copied each layer's statistics as it went waited a dozen
// times per layer and left the GPU idle while the host queued the next layer. Called by the thread that owns the model.
#pragma once

#include <functional>
#include <vector>

#include <ATen/ATen.h>

namespace diffscope {

class DeferredHost {
 public:
  // A host tensor that holds `t`'s values by the time the steps of finish() run: for a CUDA tensor a pinned buffer
  // filled by an asynchronous copy queued now, in stream order; for a CPU tensor `t` itself (contiguous).
  at::Tensor to_host(const at::Tensor& t);
  // Host work to do after the device has finished what was queued so far (steps run in the order they were added).
  void then(std::function<void()> step);
  // Waits for `device` once, then runs the steps. Safe to call more than once (later calls run the newer steps).
  void finish(const at::Device& device);

 private:
  std::vector<std::function<void()>> steps_;
  bool pending_copies_ = false;
};

// A copy of `host` (a CPU tensor) on `device`, made without waiting for the device: a plain .to(device) of pageable
// memory synchronizes the stream, so small tensors go through pinned memory and a non-blocking copy.
at::Tensor to_device_async(const at::Tensor& host, const at::Device& device);

}  // namespace diffscope
