// The app's benchmark on real models: phases, measurements and the report (gui_benchmark.h). Main thread.
#include "gui_benchmark.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "map_layouts.h"
#include "map_source.h"
#include "map_viewport.h"
#include "slot_results.h"

namespace diffscope {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written: the lines read like the human ones

const char* letter(int slot) { return slot == ui::kSlotDiff ? "A" : "B"; }

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

Json summary_json(const MsSummary& s) {
  Json j;
  j["count"] = s.count;
  j["median"] = round3(s.median);
  j["p90"] = round3(s.p90);
  j["max"] = round3(s.max);
  return j;
}

// Frame times as fields of a phase's line: frames, median_ms, p90_ms, max_ms.
void add_frames(Json& j, const std::vector<double>& ms) {
  const MsSummary s = summarize_ms(ms);
  j["frames"] = s.count;
  j["median_ms"] = round3(s.median);
  j["p90_ms"] = round3(s.p90);
  j["max_ms"] = round3(s.max);
}

std::string describe(const std::vector<double>& ms) {
  const MsSummary s = summarize_ms(ms);
  if (s.count == 0) return "none";
  char buf[160];
  std::snprintf(buf, sizeof buf, "median %.1f ms, p90 %.1f ms, max %.1f ms (%zu)", s.median, s.p90, s.max, s.count);
  return buf;
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

MsSummary summarize_ms(std::vector<double> ms) {
  MsSummary s;
  s.count = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  // Nearest rank: the smallest value with at least p of the values at or below it.
  const auto rank = [&](double p) {
    const size_t r = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::min(ms.size(), std::max<size_t>(1, r)) - 1];
  };
  s.median = rank(0.5);
  s.p90 = rank(0.9);
  s.max = ms.back();
  return s;
}

void ModelBenchmark::fail(const std::string& error) {
  error_ = error;
  phase_ = Phase::Failed;
}

void ModelBenchmark::begin(Phase phase, double now) {
  phase_ = phase;
  phase_start_ = now;
  phase_frames_ = 0;
}

bool ModelBenchmark::focus_refined(const ui::UiState& state, const ui::WindowFetcher& fetcher) {
  const ui::FocusedMap focus = ui::default_focus(state);
  if (!focus.valid || ui::slot_result(state, focus.request.slot).kind != ui::ResultKind::Current) return false;
  const SnapshotPtr& snapshot = state.slots[static_cast<size_t>(focus.request.slot)].snapshot;
  if (!ui::shows_overviews(*snapshot)) return true;  // dense maps are drawn whole the frame their snapshot shows
  const ui::WindowFetcher::Refinement r = fetcher.refinement(focus.request);
  return r.shown && (!r.needs_window || r.refined);
}

bool ModelBenchmark::settled(const ui::UiState& state, const ui::WindowFetcher& fetcher) {
  for (int slot = 0; slot < kNumSlots; ++slot) {
    if (state.slots[static_cast<size_t>(slot)].phase == SlotState::Phase::Empty) continue;  // no model: nothing to show
    if (ui::slot_result(state, slot).kind != ui::ResultKind::Current) return false;
  }
  return focus_refined(state, fetcher);
}

// What the prompt editor does on an edit (ui/prompt_panel.cpp): the text changes and the debounce restarts.
void ModelBenchmark::type_key(ui::UiState& state, double now, bool backspace) {
  std::string& prompt = state.settings.prompt;
  if (!backspace && !removed_.empty()) {
    prompt += removed_.back();
    removed_.pop_back();
  } else {
    // From the start of the last UTF-8 character: a user deletes characters, not bytes.
    size_t at = prompt.size();
    while (at > 0 && (static_cast<unsigned char>(prompt[at - 1]) & 0xC0) == 0x80) --at;
    if (at > 0) --at;
    removed_.push_back(prompt.substr(at));
    prompt.resize(at);
  }
  state.debounce.changed(now);
  state.generated_from.reset();
  state.pinned_token.reset();
  key_time_ = now;
}

void ModelBenchmark::before_frame(ui::UiState& state, double now) {
  switch (phase_) {
    case Phase::Typing:
      if (phase_frames_ % kFramesPerKey == 0) {
        type_key(state, now, true);
        ++typing_keys_;
      }
      break;
    case Phase::TypingSettle:
    case Phase::Keystrokes:
      // Zoomed in already while the burst's last results arrive: the first keystroke starts from a settled view.
      state.view = ui::MapViewport{kKeystrokeZoom, tokens() / 2, tokens() / 2, true};
      if (phase_ == Phase::TypingSettle) break;
      // The next key once the last one's results are shown, and at least kFramesPerKey frames after it.
      if (!key_pending_ && frames_since_key_ >= kFramesPerKey && static_cast<int>(stats_ms_.size()) < frames_) {
        type_key(state, now, keys_made_ % 2 == 0);
        ++keys_made_;
        key_pending_ = true;
        frames_since_key_ = 0;
        key_submitted_.reset();
        key_stats_a_.reset();
        key_stats_b_.reset();
        key_refined_.reset();
      }
      break;
    case Phase::Zoom:
    case Phase::ZoomSettle: {
      // Geometric zoom from the whole map (x1) to zoom_target_, the centre going from the middle of the map down the
      // diagonal to 90% of it: the last rows see every key, the most expensive windows.
      const double p = phase_ == Phase::ZoomSettle || frames_ <= 1
                           ? 1.0
                           : static_cast<double>(phase_frames_) / static_cast<double>(frames_ - 1);
      const double c = tokens() * (0.5 + 0.4 * p);
      state.view = ui::MapViewport{std::pow(zoom_target_, p), c, c, true};
      break;
    }
    default:
      break;
  }
}

void ModelBenchmark::note_submitted(const RunRequest&, double now) {
  if (phase_ == Phase::Keystrokes && key_pending_ && !key_submitted_) key_submitted_ = now;
}

void ModelBenchmark::after_frame(const ui::UiState& state, const ui::WindowFetcher& fetcher, double now,
                                 double frame_ms) {
  if (phase_ == Phase::Done || phase_ == Phase::Failed) return;
  // A slot that cannot load or run the prompt ends the benchmark: its numbers would mean nothing.
  if (phase_ == Phase::Setup || phase_ == Phase::Keystrokes || phase_ == Phase::TypingSettle) {
    for (int slot = 0; slot < kNumSlots; ++slot) {
      const SlotState& s = state.slots[static_cast<size_t>(slot)];
      if (s.phase == SlotState::Phase::Failed) return fail(std::string("slot ") + letter(slot) + ": " + s.message);
      const ui::SlotResult r = ui::slot_result(state, slot);
      if (r.kind == ui::ResultKind::Failed) return fail(r.message);
    }
  }
  const auto waited_too_long = [&](double since, const std::string& what) {
    if (now - since <= timeout_) return false;
    timed_out_ = true;
    char buf[64];
    std::snprintf(buf, sizeof buf, "timed out after %.0f s waiting for ", timeout_);
    fail(buf + what);
    return true;
  };
  switch (phase_) {
    case Phase::Setup:
      if (settled(state, fetcher)) {
        first_results_ms_ = (now - phase_start_) * 1000.0;
        for (int slot = 0; slot < kNumSlots; ++slot) {
          const SlotState& s = state.slots[static_cast<size_t>(slot)];
          tokens_.push_back(s.snapshot ? static_cast<int64_t>(s.snapshot->tokens.size()) : 0);
          devices_.push_back(s.info ? s.info->device : std::string());
        }
        const ui::FocusedMap focus = ui::default_focus(state);
        dense_ = !ui::shows_overviews(*state.slots[static_cast<size_t>(focus.request.slot)].snapshot);
        begin(Phase::Warmup, now);
      } else {
        waited_too_long(phase_start_, "the first results (loading both models and running the prompt)");
      }
      break;
    case Phase::Warmup:
      if (++phase_frames_ >= kWarmupFrames) begin(Phase::Idle, now);
      break;
    case Phase::Idle:
      idle_ms_.push_back(frame_ms);
      if (static_cast<int>(idle_ms_.size()) >= frames_) begin(Phase::Typing, now);
      break;
    case Phase::Typing:
      typing_ms_.push_back(frame_ms);
      ++phase_frames_;
      if (static_cast<int>(typing_ms_.size()) >= frames_) begin(Phase::TypingSettle, now);
      break;
    case Phase::TypingSettle:
      if (settled(state, fetcher)) {
        typing_settle_ms_ = (now - key_time_) * 1000.0;
        begin(Phase::Keystrokes, now);
        frames_since_key_ = kFramesPerKey;  // the first key comes with the next frame
      } else {
        waited_too_long(phase_start_, "the results of the typing burst's last keystroke");
      }
      break;
    case Phase::Keystrokes:
      keystroke_frame_ms_.push_back(frame_ms);
      ++frames_since_key_;
      if (!key_pending_) break;
      if (!key_stats_a_ && ui::slot_result(state, ui::kSlotDiff).kind == ui::ResultKind::Current) key_stats_a_ = now;
      if (!key_stats_b_ && ui::slot_result(state, ui::kSlotStandard).kind == ui::ResultKind::Current) {
        key_stats_b_ = now;
      }
      if (!key_refined_ && focus_refined(state, fetcher)) key_refined_ = now;
      if (settled(state, fetcher)) {
        // Slots without a model never show a result: the later of the slots that have one.
        const double a = key_stats_a_.value_or(key_time_), b = key_stats_b_.value_or(key_time_);
        stats_a_ms_.push_back((a - key_time_) * 1000.0);
        stats_b_ms_.push_back((b - key_time_) * 1000.0);
        stats_ms_.push_back((std::max(a, b) - key_time_) * 1000.0);
        submit_ms_.push_back((key_submitted_.value_or(now) - key_time_) * 1000.0);
        refined_ms_.push_back((key_refined_.value_or(now) - key_time_) * 1000.0);
        for (int slot = 0; slot < kNumSlots; ++slot) {
          const SnapshotPtr& snap = state.slots[static_cast<size_t>(slot)].snapshot;
          if (snap) (slot == ui::kSlotDiff ? run_a_ms_ : run_b_ms_).push_back(snap->seconds * 1000.0);
        }
        refined_pool_ = fetcher.refinement(ui::default_focus(state).request).pool;
        key_pending_ = false;
        if (static_cast<int>(stats_ms_.size()) >= frames_) {
          const float side = state.map_side * ImGui::GetIO().DisplayFramebufferScale.x;
          // About one token per pixel at the end; a map already that fine is only panned.
          zoom_target_ = side > 0 ? std::clamp(tokens() / side, ui::kMinZoom, ui::kMaxZoom) : 1.0;
          begin(Phase::ZoomReady, now);
        }
      } else {
        waited_too_long(key_time_, "the results of keystroke " + std::to_string(stats_ms_.size() + 1));
      }
      break;
    case Phase::ZoomReady:
      // Views other than the focused one may still wait for a window of the last keystroke's result.
      if (!fetcher.pending()) {
        requests_at_zoom_ = fetcher.requests();
        answers_at_zoom_ = fetcher.answers();
        begin(Phase::Zoom, now);
      } else {
        waited_too_long(phase_start_, "the other views' windows before zooming");
      }
      break;
    case Phase::Zoom:
      zoom_ms_.push_back(frame_ms);
      ++phase_frames_;
      if (static_cast<int>(zoom_ms_.size()) >= frames_) {
        zoom_requests_ = fetcher.requests() - requests_at_zoom_;
        zoom_answers_ = fetcher.answers() - answers_at_zoom_;
        begin(Phase::ZoomSettle, now);
      }
      break;
    case Phase::ZoomSettle:
      if (settled(state, fetcher)) {
        zoom_settle_ms_ = (now - phase_start_) * 1000.0;
        final_pool_ = fetcher.refinement(ui::default_focus(state).request).pool;
        phase_ = Phase::Done;
      } else {
        waited_too_long(phase_start_, "the focused map's window at the final zoom");
      }
      break;
    default:
      break;
  }
}

void ModelBenchmark::report(std::FILE* out, const std::string& renderer, int fb_w, int fb_h,
                            const BenchMemory& memory) const {
  const int64_t tokens = tokens_.empty() ? 0 : tokens_[0];
  const int64_t tokens_b = tokens_.size() > 1 ? tokens_[1] : 0;
  const std::string device = devices_.empty() ? "" : devices_[0];
  const std::string device_b = devices_.size() > 1 ? devices_[1] : "";
  const std::string window = std::to_string(fb_w) + "x" + std::to_string(fb_h);
  const char* maps = dense_ ? "dense" : "overviews";
  const auto line = [&](const char* phase) {
    Json j;
    j["bench"] = "app";
    j["phase"] = phase;
    j["tokens"] = tokens;
    j["tokens_b"] = tokens_b;
    j["maps"] = maps;
    j["device"] = device;
    j["device_b"] = device_b;
    j["window"] = window;
    j["renderer"] = renderer;
    return j;
  };

  std::fprintf(out, "benchmark: %lld tokens (slot B %lld), models on %s / %s, %s, %s window, GL renderer: %s\n",
               static_cast<long long>(tokens), static_cast<long long>(tokens_b), device.c_str(), device_b.c_str(),
               dense_ ? "dense maps (within the 256 MiB budget: no windows)"
                      : "maps as overviews + windows at screen resolution",
               window.c_str(), renderer.c_str());
  std::fprintf(out, "  (frames paced at %.0f per second, as vsync; a frame's time is its own work up to glFinish)\n",
               1.0 / kFrameInterval);
  std::fprintf(out, "  first results:            %.0f ms after the loads were queued (loading both models, first run)\n",
               first_results_ms_);
  std::fprintf(out, "  idle frames:              %s\n", describe(idle_ms_).c_str());
  std::fprintf(out, "  typing frames:            %s; a key every %d frames (%d keys), the last key's results %.0f ms "
                    "after it\n",
               describe(typing_ms_).c_str(), kFramesPerKey, typing_keys_, typing_settle_ms_);
  std::fprintf(out, "  keystrokes (view x%.0f):    %d, each once the one before was shown\n", kKeystrokeZoom, keys_made_);
  std::fprintf(out, "    keystroke -> submitted: %s (the editor's debounce)\n", describe(submit_ms_).c_str());
  std::fprintf(out, "    keystroke -> statistics: %s (A median %.1f ms, B median %.1f ms)\n", describe(stats_ms_).c_str(),
               summarize_ms(stats_a_ms_).median, summarize_ms(stats_b_ms_).median);
  if (dense_) {
    std::fprintf(out, "    keystroke -> refined map: %s (dense maps: whole with slot A's statistics)\n",
                 describe(refined_ms_).c_str());
  } else if (refined_pool_ == 0) {
    std::fprintf(out, "    keystroke -> refined map: %s (no window needed: the overview is as fine as the screen)\n",
                 describe(refined_ms_).c_str());
  } else {
    std::fprintf(out, "    keystroke -> refined map: %s (the focused map's window, %lld tokens per pixel)\n",
                 describe(refined_ms_).c_str(), static_cast<long long>(refined_pool_));
  }
  std::fprintf(out, "    engine runs:            A %s; B %s (each model's own run time)\n",
               describe(run_a_ms_).c_str(), describe(run_b_ms_).c_str());
  std::fprintf(out, "    frames meanwhile:       %s\n", describe(keystroke_frame_ms_).c_str());
  std::fprintf(out, "  zoom frames:              %s; x1 -> x%.1f down the diagonal", describe(zoom_ms_).c_str(),
               zoom_target_);
  if (dense_) {
    std::fprintf(out, " (dense maps: no windows)\n");
  } else {
    std::fprintf(out, "; window requests %llu, answered and drawn %llu; the final window (%lld tokens per pixel) %.0f ms "
                      "after the last frame\n",
                 static_cast<unsigned long long>(zoom_requests_), static_cast<unsigned long long>(zoom_answers_),
                 static_cast<long long>(final_pool_), zoom_settle_ms_);
  }
  std::fprintf(out, "  host memory:              RSS %.0f MiB (peak %.0f MiB)\n", memory.rss_mib, memory.peak_rss_mib);
  for (size_t i = 0; i < memory.slots.size(); ++i) {
    const BenchMemory::Slot& s = memory.slots[i];
    if (s.device.rfind("cuda", 0) == 0) {
      std::fprintf(out, "  GPU memory, slot %s:        %s allocated %.0f MiB, peak %.0f MiB (per device: slots on one "
                        "GPU share these numbers)\n",
                   letter(static_cast<int>(i)), s.device.c_str(), mib(s.allocated), mib(s.peak));
    } else {
      std::fprintf(out, "  GPU memory, slot %s:        n/a (%s)\n", letter(static_cast<int>(i)),
                   s.device.empty() ? "no model" : s.device.c_str());
    }
  }

  Json setup = line("setup");
  setup["first_results_ms"] = round3(first_results_ms_);
  setup["frame_interval_ms"] = round3(kFrameInterval * 1000.0);
  Json idle = line("idle");
  add_frames(idle, idle_ms_);
  Json typing = line("typing");
  add_frames(typing, typing_ms_);
  typing["key_every_frames"] = kFramesPerKey;
  typing["keystrokes"] = typing_keys_;
  typing["last_key_results_ms"] = round3(typing_settle_ms_);
  Json keys = line("keystroke");
  add_frames(keys, keystroke_frame_ms_);
  keys["keystrokes"] = keys_made_;
  keys["view_zoom"] = kKeystrokeZoom;
  keys["submit_ms"] = summary_json(summarize_ms(submit_ms_));
  keys["stats_ms"] = summary_json(summarize_ms(stats_ms_));
  keys["stats_a_ms"] = summary_json(summarize_ms(stats_a_ms_));
  keys["stats_b_ms"] = summary_json(summarize_ms(stats_b_ms_));
  keys["refined"] = dense_ ? "dense" : refined_pool_ > 0 ? "window" : "overview";
  keys["refined_ms"] = summary_json(summarize_ms(refined_ms_));
  keys["refined_pool"] = refined_pool_;
  keys["run_a_ms"] = summary_json(summarize_ms(run_a_ms_));
  keys["run_b_ms"] = summary_json(summarize_ms(run_b_ms_));
  Json zoom = line("zoom");
  add_frames(zoom, zoom_ms_);
  zoom["zoom_to"] = round3(zoom_target_);
  zoom["window_requests"] = zoom_requests_;
  zoom["window_answers"] = zoom_answers_;
  zoom["final_pool"] = final_pool_;
  zoom["final_window_ms"] = round3(zoom_settle_ms_);
  Json mem = line("memory");
  mem["rss_mib"] = round3(memory.rss_mib);
  mem["peak_rss_mib"] = round3(memory.peak_rss_mib);
  Json gpu = Json::array();
  for (size_t i = 0; i < memory.slots.size(); ++i) {
    const BenchMemory::Slot& s = memory.slots[i];
    Json g;
    g["slot"] = letter(static_cast<int>(i));
    g["device"] = s.device;
    // null where the allocator counts nothing (the CPU): the RSS holds it.
    g["allocated_mib"] = s.device.rfind("cuda", 0) == 0 ? Json(round3(mib(s.allocated))) : Json();
    g["peak_mib"] = s.device.rfind("cuda", 0) == 0 ? Json(round3(mib(s.peak))) : Json();
    gpu.push_back(g);
  }
  mem["gpu"] = gpu;
  for (const Json* j : {&setup, &idle, &typing, &keys, &zoom, &mem}) {
    // A prompt or path need not be valid UTF-8: such bytes are written as U+FFFD rather than aborting.
    std::fprintf(out, "BENCH %s\n", j->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  std::fflush(out);
}

}  // namespace diffscope
