// Atomic file writes (atomic_file.h): temporary file, fsync, rename. Any thread.
#include "atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace diffscope::ui {

bool write_file_atomically(const std::string& path, const std::string& text, std::string* why, bool create_folder) {
  const std::filesystem::path p(path);
  if (create_folder && p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);  // a failure shows as the open's error below
  }
  // In the same folder, so that the rename stays within one file system (rename is atomic only there).
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](int error_number) {
    if (why) *why = std::strerror(error_number);
    std::remove(temporary.c_str());
    return false;
  };
  FILE* out = std::fopen(temporary.c_str(), "wb");
  if (!out) return fail(errno);
  int error_number = 0;
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size() || std::fflush(out) != 0 ||
      ::fsync(::fileno(out)) != 0) {
    error_number = errno;
  }
  if (std::fclose(out) != 0 && error_number == 0) error_number = errno;
  if (error_number != 0) return fail(error_number);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return fail(errno);
  return true;
}

}  // namespace diffscope::ui
