// Why a path the user gave for a model slot cannot be a model folder (missing, a file, no config.json), checked before
// a load is queued so the message names the mistake. Any thread (reads the file system only).
#pragma once

#include <optional>
#include <string>

namespace diffscope {

// Nothing when `dir` is a folder holding config.json; else a sentence that starts with the path and says what to do:
// "... does not exist", "... is a file: choose the folder that holds config.json", "... has no config.json".
std::optional<std::string> model_folder_problem(const std::string& dir);

}  // namespace diffscope
