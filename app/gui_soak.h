// `diffscope --soak N --soak-file F` (issues 11 and 12): N prompts cut from F at wandering offsets and lengths run
// through the app itself (its UI state, worker, map cache, textures and window fetcher), switching layouts as a user
// does, with the largest resident memory of every K prompts recorded, so that growth in the app's own caches shows. Main thread:
// called from the frame loop before and after each frame; it never waits for the engine.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "ui_state.h"
#include "window_fetcher.h"

namespace diffscope {

class AppSoak {
 public:
  AppSoak(std::string text, int prompts, int every, int max_bytes, double timeout, double start)
      : text_(std::move(text)), prompts_(prompts), every_(every), max_bytes_(max_bytes), timeout_(timeout),
        waiting_since_(start) {}

  // Before the frame: the next prompt (submitted at once, as Ctrl+Enter does) and its layout.
  void before_frame(ui::UiState& state, double now);
  // After the frame: whether every loaded slot shows this prompt's results and no window is pending; samples memory.
  void after_frame(const ui::UiState& state, const ui::WindowFetcher& fetcher, double now, double rss_mib);

  bool done() const { return done_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The RSS curve (one line per sample), then one `SOAK {...}` JSON line.
  void report(std::FILE* out) const;

 private:
  struct Sample {
    int prompt = 0;
    double rss_mib = 0;
    double seconds = 0;
  };
  std::string text_;
  int prompts_, every_, max_bytes_;
  double timeout_;
  int run_ = 0;              // prompts submitted so far
  bool waiting_ = true;      // the models load first: wait for the slots to be ready
  double waiting_since_;
  double started_ = -1;      // when the first prompt was submitted
  bool done_ = false;
  std::string error_;
  std::vector<Sample> samples_;
  double window_peak_ = 0;  // the largest RSS since the last sample
};

}  // namespace diffscope
