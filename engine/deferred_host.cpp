// Results copied to the host at the end of a run (deferred_host.h). Called by the thread that owns the model.
#include "deferred_host.h"

#include <torch/cuda.h>

namespace diffscope {

at::Tensor DeferredHost::to_host(const at::Tensor& t) {
  if (!t.is_cuda()) return t.contiguous();
  at::Tensor host = at::empty(t.sizes(), t.options().device(at::kCPU).pinned_memory(true));
  host.copy_(t, /*non_blocking=*/true);  // the caching host allocator keeps the buffer until the copy is done
  pending_copies_ = true;
  return host;
}

void DeferredHost::then(std::function<void()> step) { steps_.push_back(std::move(step)); }

void DeferredHost::finish(const at::Device& device) {
  if (pending_copies_ && device.is_cuda()) torch::cuda::synchronize(device.index());
  pending_copies_ = false;
  std::vector<std::function<void()>> steps = std::move(steps_);
  steps_.clear();
  for (auto& step : steps) step();
}

at::Tensor to_device_async(const at::Tensor& host, const at::Device& device) {
  if (!device.is_cuda()) return host.clone();  // a copy either way: `host` may alias memory its caller frees
  return host.contiguous().pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace diffscope
