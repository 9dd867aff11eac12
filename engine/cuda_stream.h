// Internal to engine/: the stream the engine's own CUDA kernels are queued on. Called by the thread that queues them.
#pragma once

#include <ATen/ATen.h>

namespace diffscope {

// The current stream of `device` as a cudaStream_t, so that the kernels follow the work LibTorch queues on that thread
// (a caller may have made another stream current); null for a CPU device and in a build without CUDA in LibTorch.
void* current_cuda_stream(const at::Device& device);

}  // namespace diffscope
