// `diffscope --benchmark N` on real models (issue 10): drives the app's own UI and worker through phases a user meets
// (idle frames, a typing burst, keystrokes waited for, zooming a long map) and measures frame times, keystroke to
// statistics and keystroke to the refined focused map; prints them with memory at the end. Main thread: called from
// the frame loop before and after each frame, it never waits for the engine.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "inference_worker.h"
#include "ui_state.h"
#include "window_fetcher.h"

namespace diffscope {

// Median, 90th percentile (nearest rank) and largest of a list of milliseconds.
struct MsSummary {
  size_t count = 0;
  double median = 0, p90 = 0, max = 0;
};
MsSummary summarize_ms(std::vector<double> ms);

// Memory at the end of the run (gui_main reads it: the benchmark knows no worker).
struct BenchMemory {
  double rss_mib = 0, peak_rss_mib = 0;
  struct Slot {
    std::string device;  // "cpu", "cuda:0"; empty for a slot without a model
    int64_t allocated = 0, peak = 0;  // bytes the device allocator holds / held at most (0 on the CPU)
  };
  std::vector<Slot> slots;
};

class ModelBenchmark {
 public:
  static constexpr int kWarmupFrames = 5;
  static constexpr double kFrameInterval = 1.0 / 60;  // frames are paced as vsync at 60 Hz (gui_main.cpp)
  static constexpr int kFramesPerKey = 3;  // a keystroke every 3 frames while typing
  // Keystrokes waited for are typed with the maps zoomed in this much on the middle of the diagonal: a user looking at
  // part of a long map. At the whole-map view of a 1600 x 1000 window a 32K map's overview (cells of 128 tokens) is
  // already as fine as its ~180 pixels, so there would be no window to wait for.
  static constexpr double kKeystrokeZoom = 4.0;

  // `frames`: N of each frame phase and the number of keystrokes waited for; `timeout`: seconds any one wait (first
  // results, a keystroke's results, the final refined map) may take before the benchmark gives up; `start`: when the
  // models were queued for loading (seconds, the clock of `now` below).
  ModelBenchmark(int frames, double timeout, double start) : frames_(frames), timeout_(timeout), phase_start_(start) {}

  // Before the frame is built: this frame's input (a keystroke as the prompt editor makes it, the zoomed view).
  void before_frame(ui::UiState& state, double now);
  // The UI asked for a run this frame (the debounce fired): keystroke to submission.
  void note_submitted(const RunRequest& run, double now);
  // After the frame was drawn and the GL queue finished: its time and what it showed.
  void after_frame(const ui::UiState& state, const ui::WindowFetcher& fetcher, double now, double frame_ms);

  bool done() const { return phase_ == Phase::Done; }
  bool failed() const { return phase_ == Phase::Failed; }
  bool timed_out() const { return timed_out_; }
  const std::string& error() const { return error_; }

  // Human-readable lines, then one `BENCH {...}` JSON line per measurement.
  void report(std::FILE* out, const std::string& renderer, int fb_w, int fb_h, const BenchMemory& memory) const;

 private:
  // ZoomReady waits for every view's window request to be answered, so that the zoom phase counts only its own.
  enum class Phase { Setup, Warmup, Idle, Typing, TypingSettle, Keystrokes, ZoomReady, Zoom, ZoomSettle, Done, Failed };
  // The focused map (D of slot A) shows the editor's prompt at screen resolution: its window arrived, or its overview
  // is already as fine as the screen, or its maps are dense.
  static bool focus_refined(const ui::UiState& state, const ui::WindowFetcher& fetcher);
  // Both slots (those with a model) show the editor's prompt, and the focused map is refined.
  static bool settled(const ui::UiState& state, const ui::WindowFetcher& fetcher);
  void type_key(ui::UiState& state, double now, bool backspace);
  double tokens() const { return tokens_.empty() ? 0.0 : static_cast<double>(tokens_[0]); }
  void fail(const std::string& error);
  void begin(Phase phase, double now);

  int frames_;
  double timeout_;
  Phase phase_ = Phase::Setup;
  double phase_start_;       // when the current phase (or wait) began
  int phase_frames_ = 0;     // frames of the current phase so far
  std::string error_;
  bool timed_out_ = false;

  // What the run showed (from the first settled frame).
  std::vector<int64_t> tokens_;         // per slot, 0 for none
  std::vector<std::string> devices_;    // per slot
  bool dense_ = false;
  double first_results_ms_ = 0;

  // Keystrokes delete the last character (Backspace) or type back the last one deleted: the prompt never grows past
  // its tokens. The typing burst deletes, so its last prompt is new; keystrokes waited for alternate.
  std::vector<std::string> removed_;
  double key_time_ = 0;                 // when the pending keystroke was made
  std::optional<double> key_submitted_, key_stats_a_, key_stats_b_, key_refined_;
  bool key_pending_ = false;
  int frames_since_key_ = 0;
  int typing_keys_ = 0;
  int keys_made_ = 0;                   // keystrokes of the Keystrokes phase (each waited for)
  double typing_settle_ms_ = 0;

  std::vector<double> idle_ms_, typing_ms_, keystroke_frame_ms_, zoom_ms_;
  std::vector<double> submit_ms_, stats_ms_, stats_a_ms_, stats_b_ms_, refined_ms_;
  std::vector<double> run_a_ms_, run_b_ms_;  // the engine's own time for each keystroke's run (snapshot seconds)
  int64_t refined_pool_ = 0;            // tokens per pixel of the focused map's window after the last keystroke

  // Zoom: from the whole map to about one token per pixel, the centre moving down the diagonal.
  double zoom_target_ = 1;
  uint64_t requests_at_zoom_ = 0, answers_at_zoom_ = 0;
  uint64_t zoom_requests_ = 0, zoom_answers_ = 0;
  int64_t final_pool_ = 0;
  double zoom_settle_ms_ = 0;
};

}  // namespace diffscope
