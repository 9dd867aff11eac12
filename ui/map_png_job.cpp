// Background PNG export of one long prompt's map (map_png_job.h). start/cancel/take_result: main thread.
#include "map_png_job.h"

#include <exception>
#include <utility>

namespace diffscope::ui {

MapPngJob::~MapPngJob() {
  cancel_ = true;
  join();
}

void MapPngJob::join() {
  if (thread_.joinable()) thread_.join();
}

bool MapPngJob::start(std::shared_ptr<const MapStore> store, const MapWindow& window, const std::string& path,
                      const MapPngOptions& options, std::string* message) {
  if (running_) {
    *message = "an export is still running (" + path_ + "): wait for it or cancel it";
    return false;
  }
  join();  // the previous export's thread has finished its work
  cancel_ = false;
  progress_ = 0;
  path_ = path;
  running_ = true;
  thread_ = std::thread([this, store = std::move(store), window, path, options] {
    std::pair<bool, std::string> result;
    try {
      const bool finished = stream_map_png(*store, window, path, options, [this](double fraction) {
        progress_ = fraction;
        return !cancel_;
      });
      result = finished ? std::make_pair(true, "wrote " + path)
                        : std::make_pair(false, "export cancelled: " + path + " was not written");
    } catch (const std::exception& e) {
      result = {false, e.what()};
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(result);
    }
    running_ = false;
  });
  *message = "exporting " + path + " ...";
  return true;
}

std::optional<std::pair<bool, std::string>> MapPngJob::take_result() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<std::pair<bool, std::string>> out = std::move(result_);
  result_.reset();
  return out;
}

}  // namespace diffscope::ui
