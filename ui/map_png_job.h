// PNG exports of a long prompt's maps (no dense map on the host), written from the runs' stores on a thread of its
// own (engine/map_png_stream.h) so that the app keeps drawing: one map (Map PNG) or many in a row (All maps); one
// export at a time, with progress and Cancel.
// start / progress / cancel / take_result: main (UI) thread; the export: its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <vector>

#include "export.h"
#include "map_png_stream.h"

namespace diffscope::ui {

class MapPngJob {
 public:
  MapPngJob() = default;
  ~MapPngJob();  // cancels a running export and waits for it (its partial file is removed)
  MapPngJob(const MapPngJob&) = delete;
  MapPngJob& operator=(const MapPngJob&) = delete;

  // Starts writing `window` of `store` to `path`. False, with the reason in *message, while another export runs.
  bool start(std::shared_ptr<const MapStore> store, const MapWindow& window, const std::string& path,
             const MapPngOptions& options, std::string* message);
  // One file of a batch: a task of engine/export.h and the store it reads.
  struct Item {
    std::shared_ptr<const MapStore> store;
    MapPngTask task;
  };
  // Starts writing `items` one after the other; the result then says "wrote N PNGs" + `what` (e.g. " under DIR").
  bool start(std::vector<Item> items, const std::string& what, std::string* message);
  // Any file made in steps: `run` reports its progress (0..1) through the callback and stops when it returns false
  // (then returns false, leaving no file); throws with a message on failure.
  struct Step {
    std::string path;
    std::function<bool(const std::function<bool(double)>& progress)> run;
  };
  bool start(std::vector<Step> steps, const std::string& what, std::string* message);
  bool running() const { return running_; }
  double progress() const { return progress_; }  // 0..1 over all the files
  const std::string& path() const { return path_; }
  void cancel() { cancel_ = true; }
  // Once per finished export: whether it wrote its file, and the message to show.
  std::optional<std::pair<bool, std::string>> take_result();

 private:
  void join();
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> cancel_{false};
  std::atomic<double> progress_{0};
  std::string path_;
  std::mutex mutex_;  // guards result_
  std::optional<std::pair<bool, std::string>> result_;
};

}  // namespace diffscope::ui
