// Per-test temporary folders. Test thread.
#include "temp_folder.h"

namespace diffscope::testing {

TempFolder::TempFolder(const std::string& name) : path_(std::filesystem::temp_directory_path() / name) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempFolder::~TempFolder() {
  std::error_code ec;  // a folder a test left busy must not throw from a destructor
  std::filesystem::remove_all(path_, ec);
}

}  // namespace diffscope::testing
