// The whole window of the desktop app: sidebar (models, prompt, display, export), token strip, map layouts,
// statistics, status bar; keyboard selection; turning edits into run requests. The app feeds it the worker's slot
// states each frame and carries out the UiActions it returns. Main (UI) thread, inside an ImGui frame, GL current.
#pragma once

#include <array>
#include <string>

#include "heatmap_renderer.h"
#include "heatmap_widget.h"
#include "map_source.h"
#include "ui_state.h"
#include "window_fetcher.h"

namespace diffscope::ui {

struct FrameInput {
  std::array<SlotState, kNumSlots> slots;
  double now = 0;              // seconds, monotonic
  double frame_ms = 0;         // the previous frame's CPU time, for the status bar
};

class AppUi {
 public:
  explicit AppUi(Settings settings);

  // Starts the heatmap pipeline from `shader_dir`. On failure the app keeps running and shows the error where maps
  // would be.
  bool init_gl(const std::string& shader_dir, std::string* error);

  // Builds this frame's widgets (call between ImGui::NewFrame and ImGui::Render).
  UiActions frame(const FrameInput& input);

  // Where views get windows of maps they draw from overviews (long prompts): the app's SlotProvider.
  void set_window_source(WindowSource source) { fetcher_.set_source(std::move(source)); }
  // A window asked for and not answered yet, or held back by the request interval (screenshots wait for it).
  bool windows_pending() const { return fetcher_.pending(); }
  const WindowFetcher& fetcher() const { return fetcher_; }

  // The app reports the outcome of a window screenshot it took for UiActions::window_screenshot.
  void note_export(bool ok, const std::string& message);

  UiState& state() { return state_; }
  const UiState& state() const { return state_; }
  HeatmapRenderer& renderer() { return renderer_; }
  const MapCache& cache() const { return cache_; }

 private:
  void handle_keys(UiActions& actions);
  void draw_header();
  void draw_status_bar(const FrameInput& input);
  void maybe_submit(UiActions& actions);

  UiState state_;
  HeatmapRenderer renderer_;
  MapCache cache_;
  HeatmapWidgets widgets_;
  WindowFetcher fetcher_;
};

}  // namespace diffscope::ui
