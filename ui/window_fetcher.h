// Refinement windows for views that draw overviews: per view, asks the worker (through a WindowSource) for the window
// of the map it shows at about one cell per screen pixel once the view settles (at most one request per view every
// 100 ms, latest wins), polls the answer each frame without waiting, and keeps the newest answer of the snapshot on
// screen as a texture drawn over the overview. Main (UI) thread (owns GL textures).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>

#include "heatmap_renderer.h"
#include "inference_worker.h"
#include "map_source.h"
#include "map_windows.h"

namespace diffscope::ui {

// How the UI asks for a window (the app passes its SlotProvider's request_window; tests a fake).
using WindowSource = std::function<std::future<WindowResult>(const WindowRequest&)>;

// A window on screen: the engine's cells and the texture drawn from them.
struct FetchedWindow {
  WindowRequest request;
  WindowPlan plan;          // the tokens and pool of `cells`
  Matrix cells;             // as the engine answered: the map kind's own values (A2 not scaled by lambda)
  MapTexture texture;       // as the view draws them (lambda * A2, row-normalized), placed at plan.rect
  bool signed_values = false;
};

// What a view needs from the engine for its visible part (nothing when the overview already shows it as finely as the
// screen can, or when the map cannot be fetched at this zoom). `unavailable`: the overview path's reason (ShownMap).
struct WindowNeed {
  std::optional<WindowPlan> plan;  // the window to ask for
  std::string not_available;       // why nothing can be fetched at this zoom (row normalization, lambda per row)
};
// `visible`: the view's plan (plan_window); `overview_cell`: ShownMap::overview_cell; `tokens`: T.
WindowNeed window_need(const MapRequest& map, const std::optional<WindowPlan>& visible, int64_t overview_cell,
                       int64_t tokens, bool overview_unavailable, bool lambda_constant);

class WindowFetcher {
 public:
  explicit WindowFetcher(const HeatmapRenderer& renderer) : renderer_(renderer) {}
  void set_source(WindowSource source) { source_ = std::move(source); }
  bool has_source() const { return static_cast<bool>(source_); }

  // Called once per frame for each pooled view `view_id` showing `map` of `snapshot`: takes a finished answer if one
  // came, asks for `need.plan` when nothing held or pending covers it and the last request is 100 ms old, and returns
  // the window to draw over the overview (null when none matches the map shown). Never waits for the engine.
  const FetchedWindow* update(const std::string& view_id, const SnapshotPtr& snapshot, const MapRequest& map,
                              const WindowNeed& need, double now);

  // The newest window held for (slot, kind, layer, head) of snapshot `sequence` containing (row, col), for hover.
  const FetchedWindow* window_at(int slot, uint64_t sequence, MapKind kind, int layer, int head, int64_t row,
                                 int64_t col) const;

  // Where the view showing `map` (its slot, snapshot, layer, head, variant and row normalization) stands after the
  // last frame: for the benchmark's "keystroke to refined map".
  struct Refinement {
    bool shown = false;         // a view showed `map` in the last frame (views of dense maps never ask the fetcher)
    bool needs_window = false;  // its overview is coarser than the screen: it asked for a window
    bool refined = false;       // the window it draws covers what it asked for
    int64_t pool = 0;           // tokens per cell side of the window it asked for (0: none)
  };
  Refinement refinement(const MapRequest& map) const;

  bool pending() const;            // a request not answered yet (headless screenshots wait for it)
  double wake_in(double now) const;  // seconds until a held-back request is due, -1 when none
  void end_frame();                // drops views not updated since the last end_frame
  uint64_t requests() const { return requests_; }
  // Answers turned into windows on screen; requests() - answers() were replaced by newer ones (latest wins), refused
  // or superseded, or are still pending.
  uint64_t answers() const { return answers_; }

  static constexpr double kMinInterval = 0.1;  // seconds between two requests of one view

 private:
  struct ViewState {
    MapRequest map;                     // what the view shows (a change drops everything below)
    std::optional<FetchedWindow> held;
    std::future<WindowResult> pending;
    WindowPlan pending_plan;
    double last_request = -1e9;
    std::optional<WindowPlan> waiting;  // wanted but held back by the interval
    std::optional<WindowPlan> need;     // what the last update asked for (refinement)
    bool used = false;
  };
  void take_answer(ViewState& view, const SnapshotPtr& snapshot);
  const HeatmapRenderer& renderer_;
  WindowSource source_;
  std::map<std::string, ViewState> views_;
  uint64_t requests_ = 0;
  uint64_t answers_ = 0;
};

// The cells a view draws from a window's raw cells: lambda * A2 scales row r by lambda of its first query row (exact
// at pool 1 or for a lambda constant over rows), row normalization divides each row by its largest |value| (exact for
// whole rows at pool 1). Pure; exposed for tests.
Matrix window_display_cells(const AttentionSnapshot& snapshot, const MapRequest& map, const WindowPlan& plan,
                            const Matrix& cells);

}  // namespace diffscope::ui
