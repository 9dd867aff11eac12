// The background map PNG export (ui/map_png_job.h): one at a time, cancellable, its result reported once. A store
// that waits at a gate the test opens makes "while it runs" deterministic. Test thread (and the job's thread).
#include <catch2/catch.hpp>

#include <atomic>
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
    entered = true;
    std::unique_lock<std::mutex> lock(mutex_);
    gate_.wait(lock, [this] { return open_; });
    const int64_t rows = (w.row_end - w.row_begin + w.pool - 1) / w.pool;
    const int64_t cols = (w.col_end - w.col_begin + w.pool - 1) / w.pool;
    return Matrix{rows, cols, std::vector<float>(static_cast<size_t>(rows * cols), 0.125f)};
  }
  int64_t tokens() const override { return 8; }
  int64_t device_bytes() const override { return 0; }
  mutable std::atomic<bool> entered{false};  // a window was asked for (the export reached this store)
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

TEST_CASE("a batch of map exports writes its files in order, reports the count, and a cancel keeps what was written") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "diffscope_map_png_job_batch";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  MapPngOptions options;
  options.band_cells = 16;
  auto open_store = std::make_shared<GatedStore>();
  open_store->open();
  std::vector<MapPngJob::Item> items;
  for (int k = 0; k < 3; ++k) {
    items.push_back({open_store, MapPngTask{MapWindow{}, (dir / ("m" + std::to_string(k) + ".png")).string(), options}});
  }
  MapPngJob job;
  std::string message;
  REQUIRE(job.start(items, " under " + dir.string(), &message));
  CHECK(message == "exporting 3 maps under " + dir.string() + " ...");
  REQUIRE(finishes(job));
  auto result = job.take_result();
  REQUIRE(result);
  CHECK(result->first);
  CHECK(result->second == "wrote 3 PNGs under " + dir.string());
  CHECK(job.progress() == Approx(1.0));
  for (int k = 0; k < 3; ++k) CHECK(std::filesystem::exists(dir / ("m" + std::to_string(k) + ".png")));

  // Cancelled while the second file waits at its gate: the first stays, the second and third are not written.
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto gated = std::make_shared<GatedStore>();
  items[1].store = gated;
  REQUIRE(job.start(items, "", &message));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!gated->entered && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(gated->entered);  // the first file is written; the second waits at its gate
  job.cancel();
  gated->open();
  REQUIRE(finishes(job));
  result = job.take_result();
  REQUIRE(result);
  CHECK_FALSE(result->first);
  CHECK(result->second == "export cancelled after 1 of 3 PNGs");
  CHECK(std::filesystem::exists(dir / "m0.png"));
  CHECK_FALSE(std::filesystem::exists(dir / "m1.png"));
  CHECK_FALSE(std::filesystem::exists(dir / "m2.png"));
  CHECK_FALSE(job.start(std::vector<MapPngJob::Item>{}, "", &message));
  CHECK(message == "nothing to export");
  std::filesystem::remove_all(dir);
}
