// The prompts of the soak runs (diffscope-cli soak, diffscope --soak): deterministic pieces of a text. Any thread.
#pragma once

#include <string>

namespace diffscope {

// The piece of `text` (at least 10 bytes) that prompt `run` (1-based) uses: 10 to max_bytes bytes (at most the text)
// at an offset that wanders over the text, as edits of a prompt would; the same every time.
std::string soak_piece(const std::string& text, int run, int max_bytes);

}  // namespace diffscope
