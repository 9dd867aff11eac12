// Internal to engine/: turns what LibTorch and the CUDA kernels throw into the engine's typed errors, with the
// context a user needs and no stack trace. Any thread (inside a catch block).
#pragma once

#include <string>

namespace diffscope {

// Call inside a catch block: rethrows EngineError as is; an out-of-memory error (device or host) as ResourceError
// and anything else from LibTorch or the standard library as EngineError, each saying what the engine was doing
// (`doing`, e.g. "running 32768 tokens on cuda:0 (layer 3)") and what to try.
[[noreturn]] void rethrow_as_engine_error(const std::string& doing);

}  // namespace diffscope
