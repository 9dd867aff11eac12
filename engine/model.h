// A loaded Llama or DiffLlama checkpoint and its forward pass with attention capture. Public face of the LibTorch
// code: plain C++ only. Not thread-safe: one thread (the inference worker, or the CLI's main thread) owns a Model.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "snapshot.h"

namespace diffscope {

struct LoadOptions {
  std::string device = "auto";  // "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N"
  std::string dtype = "f32";    // compute dtype: "f32", "bf16", "f16"
  std::function<void(float fraction, const std::string& what)> progress;  // called on the loading thread
};

// True when LibTorch sees a CUDA device.
bool cuda_available();

class Model {
 public:
  // Loads config.json + model.safetensors from `dir`. Throws FileError / CheckpointError / InputError.
  static std::unique_ptr<Model> load(const std::string& dir, const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const;

  // Runs the tokens through the model and captures what `request` asks for. `should_stop` is polled between
  // layers; when it returns true the run throws Cancelled. Throws InputError for ids out of the vocabulary, an
  // empty sequence, or one longer than the model's context.
  AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                        const std::function<bool()>& should_stop = {}) const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diffscope
