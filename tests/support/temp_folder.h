// A fresh folder under the system's temporary folder for one test, removed with it. Test thread.
#pragma once

#include <filesystem>
#include <string>

namespace diffscope::testing {

class TempFolder {
 public:
  // <temp>/<name>_<pid>: removes whatever an earlier (crashed) run left there, then creates it.
  explicit TempFolder(const std::string& name);
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace diffscope::testing
