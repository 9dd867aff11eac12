// The current CUDA stream for the engine's own kernels (cuda_stream.h). Called by the thread that queues them.
#include "cuda_stream.h"

#ifdef DIFFSCOPE_TORCH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace diffscope {

void* current_cuda_stream(const at::Device& device) {
#ifdef DIFFSCOPE_TORCH_CUDA
  if (device.is_cuda()) return c10::cuda::getCurrentCUDAStream(device.index()).stream();
#else
  (void)device;
#endif
  return nullptr;
}

}  // namespace diffscope
