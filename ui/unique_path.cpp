// Free names for exports. Main (UI) thread.
#include "unique_path.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace diffscope::ui {

std::string unique_path(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(fs::symlink_status(p, ec))) return path;
  // A folder's name keeps its dots ("maps.v1" -> "maps.v1_2"); a file's suffix stays last ("a.png" -> "a_2.png").
  const bool folder = fs::is_directory(p, ec);
  const std::string stem = folder ? p.filename().string() : p.stem().string();
  const std::string extension = folder ? std::string() : p.extension().string();
  for (int n = 2;; ++n) {
    const fs::path candidate = p.parent_path() / (stem + "_" + std::to_string(n) + extension);
    if (!fs::exists(fs::symlink_status(candidate, ec))) return candidate.string();
  }
}

}  // namespace diffscope::ui
