// Reading whole text files for the CLI commands. Main thread.
#pragma once

#include <string>

namespace diffscope {

// The bytes of `path`; throws FileError("cannot open <what> <path>") when it cannot be read.
std::string read_text_file(const std::string& path, const std::string& what);

}  // namespace diffscope
