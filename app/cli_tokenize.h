// `diffscope-cli tokenize`: prints the ids, token texts and byte spans a model folder's (or a tokenizer.json's)
// tokenizer gives a text, as JSON. Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "tokenize". Returns the process exit code: 0, 1 for an engine error, 2 for bad usage.
int command_tokenize(const std::vector<std::string>& args);
