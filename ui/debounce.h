// Debounce for live submission while typing: a change arms a deadline; the run fires once the text has been still for
// `delay` seconds. Main (UI) thread.
#pragma once

#include <algorithm>

namespace diffscope::ui {

// How long the text must be still before it runs, from the slower slot's last run (seconds; < 0: no run yet). A pause
// is worth waiting for only when a run is expensive to tear down. On the CPU a run started mid-word takes the cores
// the UI draws with, and a newer key stops it only at the next layer: a model that answers in 40 ms runs 50 ms after
// the last key, one that takes seconds waits a quarter of a second, as typists pause between words; half the run time
// in between. On a GPU (`on_gpu`: every loaded model there) the run is the device's work, not the UI's cores: the
// shortest pause whatever the run time (the app's benchmark on the H200, docs/benchmarks.md session 10: keystroke ->
// statistics at 8K 416 -> 334 ms, frames while typing 2.6-3.4 ms).
constexpr double kMinTypingPause = 0.05, kMaxTypingPause = 0.25;
inline double typing_pause_for(double slowest_run_seconds, bool on_gpu = false) {
  if (on_gpu) return kMinTypingPause;
  if (slowest_run_seconds < 0) return kMaxTypingPause;
  return std::clamp(0.5 * slowest_run_seconds, kMinTypingPause, kMaxTypingPause);
}

class Debouncer {
 public:
  explicit Debouncer(double delay_seconds = kMaxTypingPause) : delay_(delay_seconds) {}
  // The delay of the next change (one armed now keeps its deadline).
  void set_delay(double seconds) { delay_ = seconds; }
  double delay() const { return delay_; }
  void changed(double now) { deadline_ = now + delay_; armed_ = true; }
  // True once per armed change, when `now` reached the deadline.
  bool fire(double now) {
    if (!armed_ || now < deadline_) return false;
    armed_ = false;
    return true;
  }
  bool armed() const { return armed_; }
  // Seconds until the deadline (0 when due), or a negative number when nothing is armed: how long the UI may sleep.
  double remaining(double now) const { return armed_ ? (now < deadline_ ? deadline_ - now : 0.0) : -1.0; }
  void cancel() { armed_ = false; }

 private:
  double delay_;
  double deadline_ = 0;
  bool armed_ = false;
};

}  // namespace diffscope::ui
