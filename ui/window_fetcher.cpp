// Refinement windows fetched for pooled views. Main (UI) thread.
#include "window_fetcher.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "map_transforms.h"

namespace diffscope::ui {

namespace {

// The window of whole rows a row-normalized view needs at one cell per token: above this many cells it is not fetched.
constexpr int64_t kMaxRowWindowCells = int64_t{16} << 20;

bool same_map(const MapRequest& a, const MapRequest& b) {
  return a.slot == b.slot && a.sequence == b.sequence && a.layer == b.layer && a.head == b.head &&
         a.variant == b.variant && a.row_normalize == b.row_normalize;
}

}  // namespace

WindowNeed window_need(const MapRequest& map, const std::optional<WindowPlan>& visible, int64_t overview_cell,
                       int64_t tokens, bool overview_unavailable, bool lambda_constant) {
  WindowNeed need;
  // The overview path says why lambda * A2's mean of heads has no windows.
  if (!visible || (map.head < 0 && map.variant == MapVariant::LambdaA2)) return need;
  const bool exact_only_at_pool_1 = map.row_normalize || (map.variant == MapVariant::LambdaA2 && !lambda_constant);
  if (exact_only_at_pool_1) {
    if (visible->pool > 1) {
      need.not_available = "not available at this zoom: zoom in until a token is a pixel (" +
                           std::to_string(visible->pool) + " tokens per pixel now)";
      return need;
    }
    WindowPlan plan = *visible;
    if (map.row_normalize) {  // whole rows: each is divided by its largest |value| over every key it sees
      plan.rect.col_begin = 0;
      plan.rect.col_end = std::min(tokens, plan.rect.row_end);
      if ((plan.rect.row_end - plan.rect.row_begin) * plan.rect.col_end > kMaxRowWindowCells) {
        need.not_available = "not available at this zoom: the visible rows are too long to fetch whole";
        return need;
      }
    }
    need.plan = plan;
    return need;
  }
  // The overview already shows every cell the screen can: a window would add nothing.
  if (!overview_unavailable && visible->pool >= overview_cell) return need;
  need.plan = visible;
  return need;
}

Matrix window_display_cells(const AttentionSnapshot& snapshot, const MapRequest& map, const WindowPlan& plan,
                            const Matrix& cells) {
  Matrix out = cells;
  if (map.variant == MapVariant::LambdaA2 && map.layer >= 0 && map.layer < static_cast<int>(snapshot.layers.size())) {
    const Matrix& lambda = snapshot.layers[static_cast<size_t>(map.layer)].lambda;
    if (lambda.empty() || map.head < 0 || map.head >= lambda.rows) return {};
    for (int64_t r = 0; r < out.rows; ++r) {
      const int64_t row = std::min(lambda.cols - 1, plan.rect.row_begin + r * plan.pool);
      const float l = lambda.at(map.head, row);
      for (int64_t c = 0; c < out.cols; ++c) out.values[static_cast<size_t>(r * out.cols + c)] *= l;
    }
  }
  if (map.row_normalize) out = row_normalized(out);
  return out;
}

void WindowFetcher::take_answer(ViewState& view, const SnapshotPtr& snapshot) {
  if (!view.pending.valid()) return;
  if (view.pending.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  WindowResult result = view.pending.get();
  // A stale answer (the slot shows a newer snapshot, or the engine refused) is dropped: the overview stays.
  if (!result.ok() || result.superseded || result.request.sequence != view.map.sequence || !snapshot) return;
  FetchedWindow w;
  w.request = result.request;
  w.plan = view.pending_plan;
  w.cells = std::move(result.map);
  w.signed_values = variant_is_signed(view.map.variant) ||
                    (view.map.variant == MapVariant::Rollout && rollout_is_signed(*snapshot, view.map.layer));
  const Matrix shown = window_display_cells(*snapshot, view.map, w.plan, w.cells);
  if (shown.empty()) return;
  w.texture = renderer_.upload_cells(shown, w.signed_values, w.plan.pool, w.plan.rect.col_begin, w.plan.rect.row_begin,
                                     w.plan.rect.col_end - w.plan.rect.col_begin,
                                     w.plan.rect.row_end - w.plan.rect.row_begin);
  view.held = std::move(w);
  ++answers_;
}

const FetchedWindow* WindowFetcher::update(const std::string& view_id, const SnapshotPtr& snapshot,
                                           const MapRequest& map, const WindowNeed& need, double now) {
  ViewState& view = views_[view_id];
  view.used = true;
  if (!same_map(view.map, map)) {  // another map in this place: what was held or asked for belongs to the old one
    view = ViewState{};
    view.map = map;
    view.used = true;
  }
  take_answer(view, snapshot);
  view.waiting.reset();
  view.need = need.plan;
  if (need.plan && source_) {
    const bool held_covers = view.held && window_covers(view.held->plan, *need.plan);
    const bool pending_covers = view.pending.valid() && window_covers(view.pending_plan, *need.plan);
    if (!held_covers && !pending_covers) {
      if (now - view.last_request >= kMinInterval) {
        WindowRequest request;
        request.slot = map.slot;
        request.sequence = map.sequence;
        request.window.layer = map.layer;
        request.window.kind = variant_source_kind(map.variant);
        request.window.head = map.variant == MapVariant::Rollout ? kRollout : map.head;
        request.window.row_begin = need.plan->rect.row_begin;
        request.window.row_end = need.plan->rect.row_end;
        request.window.col_begin = need.plan->rect.col_begin;
        request.window.col_end = need.plan->rect.col_end;
        request.window.pool = need.plan->pool;
        view.pending = source_(request);  // a pending answer for an older plan is dropped: latest wins
        view.pending_plan = *need.plan;
        view.last_request = now;
        ++requests_;
        take_answer(view, snapshot);  // sources that answer at once (demo slots) show this frame
      } else {
        view.waiting = need.plan;
      }
    }
  }
  return view.held && view.held->texture.valid() ? &*view.held : nullptr;
}

const FetchedWindow* WindowFetcher::window_at(int slot, uint64_t sequence, MapKind kind, int layer, int head,
                                              int64_t row, int64_t col) const {
  const FetchedWindow* best = nullptr;
  for (const auto& [id, view] : views_) {
    if (!view.held) continue;
    const FetchedWindow& w = *view.held;
    if (w.request.slot != slot || w.request.sequence != sequence || w.request.window.kind != kind ||
        w.request.window.layer != layer || w.request.window.head != head || !w.plan.rect.contains(row, col)) {
      continue;
    }
    if (best == nullptr || w.plan.pool < best->plan.pool) best = &w;
  }
  return best;
}

WindowFetcher::Refinement WindowFetcher::refinement(const MapRequest& map) const {
  Refinement r;
  for (const auto& [id, view] : views_) {
    if (!same_map(view.map, map)) continue;
    r.shown = true;
    r.needs_window = view.need.has_value();
    r.pool = view.need ? view.need->pool : 0;
    r.refined = view.need && view.held && window_covers(view.held->plan, *view.need);
    if (r.refined || !r.needs_window) break;  // another view of the same map may still wait: the first settled wins
  }
  return r;
}

bool WindowFetcher::pending() const {
  for (const auto& [id, view] : views_) {
    if (view.pending.valid() || view.waiting) return true;
  }
  return false;
}

double WindowFetcher::wake_in(double now) const {
  double wake = -1;
  for (const auto& [id, view] : views_) {
    if (view.pending.valid()) wake = wake < 0 ? 0.05 : std::min(wake, 0.05);  // poll until the answer comes
    if (!view.waiting) continue;
    const double due = std::max(0.0, view.last_request + kMinInterval - now);
    wake = wake < 0 ? due : std::min(wake, due);
  }
  return wake;
}

void WindowFetcher::end_frame() {
  for (auto it = views_.begin(); it != views_.end();) {
    if (!it->second.used) it = views_.erase(it);
    else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace diffscope::ui
