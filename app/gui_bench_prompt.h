// The prompt of `diffscope --benchmark N --bench-tokens T` on real models: the bundled example prompts repeated and cut
// to at most T tokens as each slot's tokenizer counts them, after checking that T fits each model's context. Main
// thread, before the window opens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace diffscope {

// `source`: the natural text to repeat. `model_dirs`: the slots' model folders (empty entries are skipped). False with
// *error when a folder cannot be read, or T is longer than a model's context (the app exits with status 2).
bool make_bench_prompt(const std::vector<std::string>& model_dirs, int64_t tokens, const std::string& source,
                       std::string* prompt, std::string* error);

}  // namespace diffscope
