// Sets ATen's cuDNN-attention flag per scaled_dot_product_attention call (sdpa_cudnn_choice.h). Any thread.
#include "sdpa_cudnn_choice.h"

#include <ATen/Context.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>

namespace diffscope {
namespace {

std::mutex& choice_mutex() {
  static std::mutex mutex;
  return mutex;
}

// DIFFSCOPE_SDPA_CUDNN: 1 every call, 0 none, anything else or unset: square causal calls only (-1).
int forced_choice() {
  static const int forced = [] {
    const char* value = std::getenv("DIFFSCOPE_SDPA_CUDNN");
    if (!value) return -1;
    if (std::strcmp(value, "1") == 0) return 1;
    if (std::strcmp(value, "0") == 0) return 0;
    return -1;
  }();
  return forced;
}

}  // namespace

SdpaCudnnChoice::SdpaCudnnChoice(bool square_causal) : lock_(choice_mutex()) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
  const int forced = forced_choice();
  at::globalContext().setSDPUseCuDNN(forced < 0 ? square_causal : forced == 1);
#else
  (void)square_causal;
  (void)forced_choice;
#endif
}

}  // namespace diffscope
