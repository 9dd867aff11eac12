// The --demo --benchmark phases: N unchanged frames, N frames that each get a new snapshot, N frames zooming from the
// whole map to about one token per pixel down the diagonal. Each frame is timed whole (to glFinish) and for the UI's
// own CPU work apart (from the frame's start to ImGui::Render: taking the slots and building the widgets), so the
// renderer's drawing (llvmpipe on the CPU) does not hide what the UI does per frame. Main thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "ui_state.h"

namespace diffscope {

class DemoBenchmark {
 public:
  DemoBenchmark(int frames, int64_t tokens) : frames_(frames), tokens_(tokens) {}

  // Before the frame's widgets are built: in the zoom phase, where the wheel and a drag would have left the view.
  void before_frame(ui::UiState& state) const;
  // After the frame: its whole time and the UI's part. True when the demo should publish a new snapshot for the next
  // frame (the last unchanged frame and every new-snapshot frame but the last).
  bool after_frame(const ui::UiState& state, double frame_ms, double ui_ms);
  bool done() const { return phase_ == Phase::Done; }

  // The human lines: one per phase, whole frame and UI part (median, p95, max).
  void report(std::FILE* out) const;

 private:
  enum class Phase { Warmup, Idle, Upload, Zoom, Done };
  struct Times {
    std::vector<double> frame_ms, ui_ms;
  };
  Times& times(Phase phase);  // the idle, upload or zoom phase's

  int frames_;
  int64_t tokens_;
  Phase phase_ = Phase::Warmup;
  int phase_frames_ = 0;
  double zoom_target_ = 1;
  Times idle_, upload_, zoom_;
};

}  // namespace diffscope
