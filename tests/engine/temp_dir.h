// A fresh temporary folder per test, removed with everything in it when the test ends, so tests never see each
// other's files. POSIX calls only (mkdtemp, nftw): std::filesystem::remove_all crashed the LibTorch-linked tests on
// the GPU machine (docs/gpu-runs.md). Any thread.
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
