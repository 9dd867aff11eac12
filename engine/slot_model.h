// What the inference worker needs of the model in a slot (info, tokenization, run, generate), so that the worker can
// be driven by a fake model in tests; torch_slot_model.h has the LibTorch one. Plain C++. The worker's thread calls
// everything except where a comment says otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "model.h"
#include "snapshot.h"

namespace diffscope {

class SlotModel {
 public:
  virtual ~SlotModel() = default;

  virtual const ModelInfo& info() const = 0;
  // Names the tokenizer: models with equal ids turn text into the same ids, so tokens one produced (a continuation)
  // run on the other as they are. Any thread.
  virtual std::string tokenizer_id() const = 0;
  // The prompt's tokens with their byte spans. Throws InputError for an empty text.
  virtual std::vector<Token> encode(const std::string& text) const = 0;
  // The bytes one id stands for on its own (generated tokens).
  virtual std::string token_bytes(int64_t id) const = 0;

  // As Model::run and Model::generate: `should_stop` is polled between layers; when it returns true they throw
  // Cancelled.
  virtual AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                                const std::function<bool()>& should_stop) const = 0;
  virtual Generation generate(const std::vector<Token>& prompt, const GenerationOptions& options,
                              const CaptureRequest& request, const std::function<bool()>& should_stop) const = 0;

  // What-if (issue 14). The ids of an answer text as the model's tokenizer gives them with no special tokens
  // (target_ids_from_text); throws InputError for an empty text or one that gives no tokens.
  virtual std::vector<int64_t> answer_ids(const std::string& text) const {
    (void)text;
    throw InputError("this model's slot cannot tokenize an answer text");
  }
  // As Model::scan_heads: `should_stop` is polled before each layer of the clean run and each batch of heads.
  virtual HeadScan scan_heads(const std::vector<Token>& prompt, const std::vector<int64_t>& answer,
                              const HeadScanOptions& options, const std::function<bool()>& should_stop) const {
    (void)prompt, (void)answer, (void)options, (void)should_stop;
    throw InputError("this model's slot cannot run a head scan");
  }

  // As Model::device_memory: what the device allocator of the model's device holds (CUDA; zeros on the CPU, and for
  // models that do not say). Per device, not per model: two models on one GPU report the same numbers. Any thread.
  virtual Model::DeviceMemory device_memory() const { return {}; }
};

// Loads the model of a folder into a slot. `options.progress` reports as Model::load does; `should_stop` is polled
// while loading (a newer load of the slot, the worker stopping): when it returns true the loader throws Cancelled.
// Other failures throw the engine's errors, whose messages the slot shows.
using SlotModelLoader = std::function<std::unique_ptr<SlotModel>(
    const std::string& dir, const LoadOptions& options, const std::function<bool()>& should_stop)>;

}  // namespace diffscope
