// The LibTorch model of a slot: a Model and the tokenizer of its folder behind the SlotModel interface. Plain C++
// header (no torch). The loader runs on the worker's thread.
#pragma once

#include "slot_model.h"

namespace diffscope {

// Loads `dir` with Model::load and tokenizer_for_model. Cancellation is checked at each of Model::load's progress
// reports (one per layer of weights) and after the tokenizer is read.
std::unique_ptr<SlotModel> load_torch_slot_model(const std::string& dir, const LoadOptions& options,
                                                 const std::function<bool()>& should_stop);

}  // namespace diffscope
