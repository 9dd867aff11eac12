// Checks of a model folder path before a load. Any thread.
#include "model_folder.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace diffscope {

std::optional<std::string> model_folder_problem(const std::string& dir) {
  std::error_code ec;
  const fs::path path(dir);
  if (!fs::exists(path, ec)) return dir + " does not exist";
  if (!fs::is_directory(path, ec)) {
    // A file inside a model folder (often config.json itself, or model.safetensors) was picked instead of the folder.
    const fs::path parent = path.parent_path();
    const bool in_model_folder = !parent.empty() && fs::exists(parent / "config.json", ec);
    return dir + " is a file: choose the folder that holds config.json" +
           (in_model_folder ? " (" + parent.string() + ")" : std::string());
  }
  if (!fs::exists(path / "config.json", ec)) return dir + " has no config.json";
  return std::nullopt;
}

}  // namespace diffscope
