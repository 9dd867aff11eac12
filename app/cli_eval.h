// `diffscope-cli eval-retrieval`: scores the Diff and standard models on held-out retrieval episodes and text.
// Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "eval-retrieval". Returns the exit code: 0, 1 for an engine error, 2 for bad usage.
int command_eval_retrieval(const std::vector<std::string>& args);
