// Writing a file so that a crash or kill -9 at any moment leaves either the old file or the new one, never half of
// one (settings.json, session files). Plain C++; any thread (one writer per path).
#pragma once

#include <string>

namespace diffscope::ui {

// Writes `text` to a temporary file in the same folder (creating the folder when `create_folder`), flushes it to
// disk, then renames it over `path`. Returns false with the reason in *why ("Permission denied", "Is a directory")
// when it cannot; the temporary file is removed then and `path` is left as it was.
bool write_file_atomically(const std::string& path, const std::string& text, std::string* why,
                           bool create_folder = true);

}  // namespace diffscope::ui
