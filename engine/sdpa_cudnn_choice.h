// Internal to engine/: whether one scaled_dot_product_attention call may use cuDNN's attention. Any thread.
#pragma once

#include <mutex>

namespace diffscope {

// cuDNN's attention is the fastest backend for the square causal attention of a full run (H200, 32K tokens, 1B-shaped
// DiffLlama: 367 ms for the whole forward with it, 855 ms without), but with an explicit mask it builds an execution
// plan for every new shape, and an incremental run's new rows against all keys are a new shape at each keystroke (8K:
// 1009 ms per keystroke with it, 62 ms without; docs/benchmarks.md, session 12). ATen chooses backends by a
// process-wide flag, so while an SdpaCudnnChoice lives it holds a process-wide lock and the flag says whether the call
// made meanwhile may use cuDNN: square causal calls yes, masked ones no. Slots run on their own threads; the lock
// keeps one slot's choice from changing another's call (it covers a launch, not the GPU's work).
// DIFFSCOPE_SDPA_CUDNN=1 allows cuDNN for every call, =0 for none (for measuring against either).
// Does nothing on LibTorch older than 2.5 (no such flag; 1.13 has no fused attention at all).
class SdpaCudnnChoice {
 public:
  explicit SdpaCudnnChoice(bool square_causal);
  SdpaCudnnChoice(const SdpaCudnnChoice&) = delete;
  SdpaCudnnChoice& operator=(const SdpaCudnnChoice&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
};

}  // namespace diffscope
