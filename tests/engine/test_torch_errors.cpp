// Tests that LibTorch's failures reach users as the engine's typed errors with advice and without stack traces
// (torch_errors.h). Test thread.
// ATen before Catch: c10's logging header defines its own CHECK macro, which must not replace Catch's.
#include <c10/util/Exception.h>
#undef CHECK
#include <catch2/catch.hpp>

#include <new>
#include <stdexcept>

#include "errors.h"
#include "torch_errors.h"

using namespace diffscope;

namespace {

// Runs `fail` and returns what rethrow_as_engine_error made of its exception.
template <class F>
std::string translated(F fail, bool* resource = nullptr) {
  try {
    try {
      fail();
    } catch (...) {
      rethrow_as_engine_error("running 32768 tokens on cuda:0 (layer 3 of 16)");
    }
  } catch (const ResourceError& e) {
    if (resource) *resource = true;
    return e.what();
  } catch (const EngineError& e) {
    if (resource) *resource = false;
    return e.what();
  }
  return "nothing thrown";
}

}  // namespace

TEST_CASE("a CUDA out-of-memory error becomes a ResourceError with context and advice, no stack trace", "[errors]") {
  bool resource = false;
  const std::string message = translated([] { TORCH_CHECK(false, "CUDA out of memory. Tried to allocate 64.00 GiB"); },
                                         &resource);
  CHECK(resource);
  CHECK_THAT(message, Catch::Contains("out of memory while running 32768 tokens on cuda:0 (layer 3 of 16)"));
  CHECK_THAT(message, Catch::Contains("Tried to allocate 64.00 GiB"));
  CHECK_THAT(message, Catch::Contains("shorter prompt"));
  CHECK_THAT(message, Catch::Contains("statistics only"));
  CHECK(message.find("frame") == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("other LibTorch errors, bad_alloc and standard exceptions become engine errors", "[errors]") {
  bool resource = true;
  CHECK_THAT(translated([] { TORCH_CHECK(false, "kthvalue(): dimension 0 is too large"); }, &resource),
             Catch::Contains("LibTorch failed while running 32768 tokens") && Catch::Contains("too large"));
  CHECK_FALSE(resource);
  CHECK_THAT(translated([] { throw std::bad_alloc(); }, &resource), Catch::Contains("out of host memory"));
  CHECK(resource);
  CHECK_THAT(translated([] { throw std::runtime_error("CUDA error: invalid argument\nmore"); }),
             Catch::Equals("the engine failed while running 32768 tokens on cuda:0 (layer 3 of 16): CUDA error: "
                           "invalid argument"));
  CHECK_THAT(translated([] { throw InputError("the prompt is empty"); }), Catch::Equals("the prompt is empty"));
}
