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
  std::vector<Item> one{{std::move(store), MapPngTask{window, path, options}}};
  return start(std::move(one), "", message);
}

bool MapPngJob::start(std::vector<Item> items, const std::string& what, std::string* message) {
  std::vector<Step> steps;
  for (Item& item : items) {
    steps.push_back({item.task.path, [store = std::move(item.store), task = std::move(item.task)](
                                         const std::function<bool(double)>& progress) {
                       return write_map_png_task(*store, task, progress);
                     }});
  }
  return start(std::move(steps), what, message);
}

bool MapPngJob::start(std::vector<Step> items, const std::string& what, std::string* message) {
  if (running_) {
    *message = "an export is still running (" + path_ + "): wait for it or cancel it";
    return false;
  }
  if (items.empty()) {
    *message = "nothing to export";
    return false;
  }
  join();  // the previous export's thread has finished its work
  cancel_ = false;
  progress_ = 0;
  path_ = items.size() == 1 ? items.front().path : std::to_string(items.size()) + " maps" + what;
  running_ = true;
  thread_ = std::thread([this, items = std::move(items), what] {
    std::pair<bool, std::string> result;
    const double n = static_cast<double>(items.size());
    size_t done = 0;
    try {
      // A file that was finished counts, even when Cancel came while it was being closed.
      while (done < items.size() && !cancel_) {
        const bool finished = items[done].run([&](double fraction) {
          progress_ = (static_cast<double>(done) + fraction) / n;
          return !cancel_;
        });
        if (!finished) break;
        ++done;
      }
      if (done == items.size()) {
        result = {true, items.size() == 1 ? "wrote " + items.front().path
                                          : "wrote " + std::to_string(done) + " PNGs" + what};
      } else if (items.size() == 1) {
        result = {false, "export cancelled: " + items.front().path + " was not written"};
      } else {
        result = {false, "export cancelled after " + std::to_string(done) + " of " + std::to_string(items.size()) +
                             " PNGs" + what};
      }
    } catch (const std::exception& e) {
      result = {false, (items.size() == 1 ? std::string() : "after " + std::to_string(done) + " of " +
                                                                std::to_string(items.size()) + " PNGs: ") +
                           e.what()};
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(result);
    }
    running_ = false;
  });
  *message = "exporting " + path_ + " ...";
  return true;
}

std::optional<std::pair<bool, std::string>> MapPngJob::take_result() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<std::pair<bool, std::string>> out = std::move(result_);
  result_.reset();
  return out;
}

}  // namespace diffscope::ui
