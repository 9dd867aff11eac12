// Typed errors the engine throws; every message says what is wrong and what to do. Any thread.
#pragma once

#include <stdexcept>
#include <string>

namespace diffscope {

// Base of every error the engine reports to a user (CLI prints what(); the app shows it).
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A file that cannot be read or whose content is malformed (config.json, safetensors, tokenizer files).
struct FileError : EngineError {
  using EngineError::EngineError;
};

// A checkpoint whose tensors do not match what the config describes (missing, mis-shaped, wrong dtype).
struct CheckpointError : EngineError {
  using EngineError::EngineError;
};

// A request the engine cannot serve: empty prompt, ids out of vocabulary, too long, unknown device.
struct InputError : EngineError {
  using EngineError::EngineError;
};

// A request that does not fit: out of device or host memory, or a result larger than the engine will build. The
// message gives the size and a way to narrow the request (shorter prompt, fewer maps, statistics only, another device).
struct ResourceError : EngineError {
  using EngineError::EngineError;
};

// A run that was stopped because a newer request arrived.
struct Cancelled : EngineError {
  Cancelled() : EngineError("run cancelled by a newer request") {}
};

}  // namespace diffscope
