// The app's soak (gui_soak.h): prompts through the UI state, memory sampled. Main thread.
#include "gui_soak.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "slot_results.h"
#include "soak_piece.h"

namespace diffscope {

void AppSoak::before_frame(ui::UiState& state, double now) {
  if (waiting_ || done_ || failed()) return;
  ++run_;
  if (started_ < 0) started_ = now;
  state.settings.prompt = soak_piece(text_, run_, max_bytes_);
  state.generated_from.reset();
  state.pinned_token.reset();
  // The three layouts in turn: the grid uploads every head's thumbnail, the others fetch windows of long prompts.
  const ui::Layout layouts[] = {ui::Layout::Decomposition, ui::Layout::Comparison, ui::Layout::Grid};
  state.settings.layout = layouts[run_ % 3];
  state.submit_now = true;
  waiting_ = true;
  waiting_since_ = now;
}

void AppSoak::after_frame(const ui::UiState& state, const ui::WindowFetcher& fetcher, double now, double rss_mib) {
  if (done_ || failed() || !waiting_) return;
  bool settled = !state.submit_now && !fetcher.pending();
  bool any_model = false;
  for (int slot = 0; slot < static_cast<int>(state.slots.size()) && settled; ++slot) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    if (s.phase == SlotState::Phase::Loading) settled = false;
    if (s.phase != SlotState::Phase::Ready) continue;
    any_model = true;
    if (run_ == 0) continue;  // before the first prompt: the models are loaded, that is all
    const ui::ResultKind shown = ui::slot_result(state, slot).kind;
    if (shown == ui::ResultKind::Failed) {
      error_ = "prompt " + std::to_string(run_) + ", slot " + std::to_string(slot) + ": " + s.error;
      return;
    }
    settled = settled && shown == ui::ResultKind::Current;
  }
  if (settled && !any_model) {
    error_ = "no model loaded: give --model / --model-b (or load them in settings.json)";
    return;
  }
  if (!settled) {
    if (now - waiting_since_ > timeout_) {
      error_ = "prompt " + std::to_string(run_) + " had no results after " + std::to_string(static_cast<int>(timeout_)) +
               " s (--timeout)";
    }
    return;
  }
  waiting_ = false;
  // RSS swings with the length of the prompt on screen (two snapshots of dense maps can be alive), so each sample is
  // the largest RSS seen after any prompt of its window of K: a bounded app gives a flat curve of those.
  window_peak_ = std::max(window_peak_, rss_mib);
  if (run_ == 0 || run_ % every_ == 0 || run_ == prompts_) {
    samples_.push_back({run_, window_peak_, run_ == 0 ? 0.0 : now - started_});
    window_peak_ = 0;
    // As it goes, so that a long soak shows its progress (report() prints the whole curve again at the end).
    std::printf("soak: prompts to %d: RSS up to %.1f MiB\n", samples_.back().prompt, samples_.back().rss_mib);
    std::fflush(stdout);
  }
  if (run_ == prompts_) done_ = true;
}

void AppSoak::report(std::FILE* out) const {
  std::fprintf(out, "soak: %d prompts of 10..%d bytes through the app (layouts in turn), the largest RSS of each %d\n",
               prompts_, max_bytes_, every_);
  nlohmann::json curve = nlohmann::json::array();
  for (const Sample& s : samples_) {
    std::fprintf(out, "  prompts to %5d: RSS up to %7.1f MiB  (%.1f s)\n", s.prompt, s.rss_mib, s.seconds);
    curve.push_back({s.prompt, s.rss_mib});
  }
  // Growth over the second half: once every length has been seen, a bounded app stays flat.
  double half = 0, last = 0;
  for (const Sample& s : samples_) {
    if (s.prompt <= prompts_ / 2) half = s.rss_mib;
    last = s.rss_mib;
  }
  // The samples are window maxima, so the peak is theirs (and that of a window a failure cut short).
  double peak = window_peak_;
  for (const Sample& s : samples_) peak = std::max(peak, s.rss_mib);
  std::fprintf(out, "  peak RSS %.1f MiB; second half %+.1f MiB\n", peak, last - half);
  nlohmann::json j = {{"soak", "app"}, {"prompts", prompts_}, {"max_bytes", max_bytes_}, {"every", every_},
                      {"rss_mib", curve}, {"peak_rss_mib", peak}, {"second_half_growth_mib", last - half}};
  std::fprintf(out, "SOAK %s\n", j.dump().c_str());
}

}  // namespace diffscope
