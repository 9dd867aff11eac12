// Debounce for live submission while typing: a change arms a deadline; the run fires once the text has been still for
// `delay` seconds. Main (UI) thread.
#pragma once

namespace diffscope::ui {

class Debouncer {
 public:
  explicit Debouncer(double delay_seconds = 0.25) : delay_(delay_seconds) {}
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
