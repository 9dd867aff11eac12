// A temporary folder for a test, removed with everything in it when the test ends. POSIX calls only (mkdtemp, nftw).
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = "/tmp/diffscope-" + tag + "-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (!path_.empty()) nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static int remove_entry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }
  std::string path_;
};
