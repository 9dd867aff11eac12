// The background map PNG export (ui/map_png_job.h): one at a time, cancellable, its result reported once. A store
// that waits at a gate the test opens makes "while it runs" deterministic. Test thread (and the job's thread).
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "map_png_job.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// A uniform causal 8 x 8 map whose windows wait until the gate is open.
class GatedStore : public MapStore {
 public:
  Matrix window(const MapWindow& w) const override {
    std::unique_lock<std::mutex> lock(mutex_);
    gate_.wait(lock, [this] { return open_; });
    const int64_t rows = (w.row_end - w.row_begin + w.pool - 1) / w.pool;
    const int64_t cols = (w.col_end - w.col_begin + w.pool - 1) / w.pool;
    return Matrix{rows, cols, std::vector<float>(static_cast<size_t>(rows * cols), 0.125f)};
  }
  int64_t tokens() const override { return 8; }
  int64_t device_bytes() const override { return 0; }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    gate_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable gate_;
  bool open_ = false;
};

// Waits (at most 10 s) for the job to finish; false when it did not.
bool finishes(const MapPngJob& job) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (job.running()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

TEST_CASE("a background map export runs one at a time, can be cancelled, and reports once") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "diffscope_map_png_job";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "map.png").string();
  MapPngOptions options;
  options.band_cells = 16;  // bands of 2 rows

  auto gated = std::make_shared<GatedStore>();
  MapPngJob job;
  std::string message;
  REQUIRE(job.start(gated, MapWindow{}, path, options, &message));
  CHECK(message == "exporting " + path + " ...");
  CHECK(job.running());
  CHECK_FALSE(job.start(gated, MapWindow{}, path, options, &message));  // one at a time
  CHECK(message.find("still running") != std::string::npos);
  job.cancel();
  gated->open();
  REQUIRE(finishes(job));
  auto result = job.take_result();
  REQUIRE(result);
  CHECK_FALSE(result->first);
  CHECK(result->second.find("cancelled") != std::string::npos);
  CHECK_FALSE(job.take_result());  // once
  CHECK_FALSE(std::filesystem::exists(path));

  // The next export runs to the end and writes its file.
  REQUIRE(job.start(gated, MapWindow{}, path, options, &message));
  REQUIRE(finishes(job));
  result = job.take_result();
  REQUIRE(result);
  CHECK(result->first);
  CHECK(result->second == "wrote " + path);
  CHECK(job.progress() == 1.0);
  CHECK(std::filesystem::file_size(path) > 0);

  // An error (a folder that does not exist) is reported, not thrown.
  REQUIRE(job.start(gated, MapWindow{}, (dir / "missing" / "x.png").string(), options, &message));
  REQUIRE(finishes(job));
  result = job.take_result();
  REQUIRE(result);
  CHECK_FALSE(result->first);
  CHECK(result->second.find("cannot write") != std::string::npos);
  std::filesystem::remove_all(dir);
}
