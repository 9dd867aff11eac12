// Per-test temporary folders. Test thread.
#include "temp_folder.h"

#include <unistd.h>

namespace diffscope::testing {

// The process id in the name: the same test run from two checkouts at once (CI jobs, worktrees on one machine)
// must not remove or read each other's files (test_gui_session once read another checkout's session file).
TempFolder::TempFolder(const std::string& name)
    : path_(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempFolder::~TempFolder() {
  std::error_code ec;  // a folder a test left busy must not throw from a destructor
  std::filesystem::remove_all(path_, ec);
}

}  // namespace diffscope::testing
