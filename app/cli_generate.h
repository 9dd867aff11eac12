// `diffscope-cli generate`: continues a prompt with a KV cache and prints the new tokens; optionally writes each fed-back
// token's attention rows (the attention timeline). Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "generate". Returns the exit code: 0, 1 for an engine error, 2 for bad usage.
int command_generate(const std::vector<std::string>& args);
