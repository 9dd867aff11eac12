// CUDA_REQUIRE for the tests of the CUDA kernels: a CUDA runtime call that must succeed, failing the test case with
// the call and the error's name otherwise. Main thread only (Catch2).
#pragma once

#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#define CUDA_REQUIRE(call)                                                                 \
  do {                                                                                     \
    const cudaError_t status_ = (call);                                                    \
    if (status_ != cudaSuccess) FAIL(#call << " failed: " << cudaGetErrorString(status_)); \
  } while (0)
