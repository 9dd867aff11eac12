// The device the engine tests run on: $DIFFSCOPE_TEST_DEVICE ("cuda" under the cuda label), else the CPU.
#pragma once

#include <cstdlib>
#include <string>

#include "model.h"

inline std::string test_device_name() {
  const char* env = std::getenv("DIFFSCOPE_TEST_DEVICE");
  return env ? env : "cpu";
}

inline diffscope::LoadOptions test_load_options() {
  diffscope::LoadOptions options;
  options.device = test_device_name();
  return options;
}
