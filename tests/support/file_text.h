// Small file and byte helpers of tests: a file's bytes, bytes as hex (as the app's --state-json writes prompts).
// Any thread.
#pragma once

#include <filesystem>
#include <string>

namespace diffscope::testing {

// The file's exact bytes ("" when it cannot be read).
std::string read_file_text(const std::filesystem::path& path);
// Lowercase hex, two digits a byte. Written apart from the app's --state-json encoder on purpose: what a test expects
// must not come from the code it checks.
std::string hex_bytes(const std::string& bytes);

}  // namespace diffscope::testing
