// The demo's frame-time benchmark phases. Main thread.
#include "gui_demo_benchmark.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "map_viewport.h"

namespace diffscope {

namespace {

constexpr int kWarmupFrames = 5;  // fonts, first textures and windows settle before anything is timed

std::string describe(std::vector<double> ms) {
  if (ms.empty()) return "no frames";
  std::sort(ms.begin(), ms.end());
  char buf[128];
  std::snprintf(buf, sizeof buf, "median %.2f ms, p95 %.2f ms, max %.2f ms", ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.back());
  return buf;
}

}  // namespace

DemoBenchmark::Times& DemoBenchmark::times(Phase phase) {
  return phase == Phase::Idle ? idle_ : phase == Phase::Upload ? upload_ : zoom_;
}

void DemoBenchmark::before_frame(ui::UiState& state) const {
  if (phase_ != Phase::Zoom) return;
  // Geometric zoom from x1 to zoom_target_, the centre going from the middle of the map down the diagonal to 90% of
  // it (the last rows see every key: the largest windows).
  const double p = frames_ <= 1 ? 1.0 : static_cast<double>(phase_frames_) / static_cast<double>(frames_ - 1);
  const double c = static_cast<double>(tokens_) * (0.5 + 0.4 * p);
  state.view = ui::MapViewport{std::pow(zoom_target_, p), c, c, true};
}

bool DemoBenchmark::after_frame(const ui::UiState& state, double frame_ms, double ui_ms) {
  if (phase_ == Phase::Done) return false;
  if (phase_ == Phase::Warmup) {
    if (++phase_frames_ >= kWarmupFrames) {
      phase_ = Phase::Idle;
      phase_frames_ = 0;
    }
    return false;
  }
  Times& t = times(phase_);
  t.frame_ms.push_back(frame_ms);
  t.ui_ms.push_back(ui_ms);
  if (++phase_frames_ < frames_) return phase_ == Phase::Upload;
  phase_frames_ = 0;
  switch (phase_) {
    case Phase::Idle: phase_ = Phase::Upload; return true;
    case Phase::Upload: {
      const float side = state.map_side * ImGui::GetIO().DisplayFramebufferScale.x;
      zoom_target_ = side > 0 ? std::clamp(static_cast<double>(tokens_) / side, ui::kMinZoom, ui::kMaxZoom) : 1.0;
      phase_ = Phase::Zoom;
      return false;
    }
    default: phase_ = Phase::Done; return false;
  }
}

void DemoBenchmark::report(std::FILE* out) const {
  const std::pair<const char*, const Times*> phases[] = {
      {"unchanged frames", &idle_}, {"new snapshot frames", &upload_}, {"zoom frames", &zoom_}};
  for (const auto& [name, t] : phases) {
    std::fprintf(out, "  %-20s %s (%zu frames)\n", name, describe(t->frame_ms).c_str(), t->frame_ms.size());
    std::fprintf(out, "  %-20s UI up to ImGui::Render: %s\n", "", describe(t->ui_ms).c_str());
  }
  std::fprintf(out, "  zoom: x1 -> x%.1f down the diagonal\n", zoom_target_);
}

}  // namespace diffscope
