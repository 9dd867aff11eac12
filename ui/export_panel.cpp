// Export panel and export actions. Main (UI) thread.
#include "export_panel.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "errors.h"
#include "export.h"
#include "figure_caption.h"
#include "figure_export.h"
#include "heatmap_png.h"
#include "map_layouts.h"
#include "map_png_stream.h"
#include "map_style.h"
#include "slot_results.h"
#include "unique_path.h"
#include "ui_pixels.h"

namespace fs = std::filesystem;

namespace diffscope::ui {

namespace {

std::string slot_letter(int slot) { return slot == kSlotDiff ? "A" : "B"; }

std::string file_stem(const UiState& state, const FocusedMap& f) {
  const AttentionSnapshot* s = slot_snapshot(state, f.request.slot);
  std::string name = s && !s->model.name.empty() ? s->model.name : slot_letter(f.request.slot);
  const char* kind = "";
  switch (f.request.variant) {
    case MapVariant::A1: kind = "attn1"; break;
    case MapVariant::A2: kind = "attn2"; break;
    case MapVariant::LambdaA2: kind = "lambda_attn2"; break;
    case MapVariant::Diff: kind = "diff"; break;
    case MapVariant::Standard: kind = "attn"; break;
    case MapVariant::Rollout: kind = "rollout"; break;
  }
  const std::string head = f.request.head < 0 ? "mean" : std::to_string(f.request.head);
  return name + "_layer" + std::to_string(f.request.layer) + "_head" + head + "_" + kind;
}

std::string export_dir(const UiState& state) {
  return state.settings.export_dir.empty() ? std::string(".") : state.settings.export_dir;
}

bool ensure_dir(const std::string& dir, std::string* message) {
  try {
    create_folder(dir);
    return true;
  } catch (const FileError& e) {
    *message = e.what();
    return false;
  }
}

// The focused map with the colours it is drawn with; false (and the reason in *message) when there is none.
struct MapToExport {
  const AttentionSnapshot* snapshot = nullptr;
  Matrix matrix;
  Colormap colormap = Colormap::Viridis;
  ColorScale scale;
  int64_t window = 0;  // the layer's sliding window (map_window)
};

bool map_to_export(const UiState& state, const FocusedMap& f, MapToExport* out, std::string* message) {
  if (const std::optional<std::string> refusal = export_refusal(state)) {
    *message = *refusal;
    return false;
  }
  out->snapshot = slot_snapshot(state, f.request.slot);
  if (!f.valid || out->snapshot == nullptr) {
    *message = "no map to export: run a prompt first";
    return false;
  }
  out->matrix = derive_map(*out->snapshot, f.request);
  if (out->matrix.empty()) {
    *message = "the focused map is not in the current result";
    return false;
  }
  const bool signed_map = variant_is_signed(f.request.variant);
  out->colormap = colormap_for(signed_map, state.settings.display);
  out->window = map_window(*out->snapshot, f.request);
  out->scale = display_scale(auto_scale(out->matrix, signed_map, f.request.hide_sink, out->window),
                             state.settings.display);
  return true;
}

// The store window and options that stream the focused map of a long prompt, or the reason it cannot be streamed.
std::optional<std::string> streamed_map(const UiState& state, const FocusedMap& f, MapWindow* window,
                                        MapPngOptions* options) {
  const AttentionSnapshot* s = slot_snapshot(state, f.request.slot);
  if (!f.valid || s == nullptr) return "no map to export: run a prompt first";
  if (!s->store) return "the focused map is not in the current result";
  const MapRequest& r = f.request;
  if (r.variant == MapVariant::LambdaA2 || r.row_normalize) {
    return "this prompt is long, so its maps are kept only as windows: the map PNG can export A1, A2, D or A of one "
           "head, their mean of heads or the rollout, without row normalization (lambda * A2 and normalized rows "
           "need whole maps)";
  }
  if (r.variant == MapVariant::Rollout && !s->rollout_refused.empty()) return s->rollout_refused;
  window->layer = r.layer;
  window->head = r.variant == MapVariant::Rollout ? kRollout : r.head;
  window->kind = r.variant == MapVariant::A1   ? MapKind::A1
                 : r.variant == MapVariant::A2 ? MapKind::A2
                 : r.variant == MapVariant::Diff ? MapKind::Diff
                                                 : MapKind::Standard;
  options->signed_map = variant_is_signed(r.variant) ||
                        (r.variant == MapVariant::Rollout && rollout_is_signed(*s, r.layer));
  options->colormap = colormap_for(options->signed_map, state.settings.display);
  options->hide_sink = r.hide_sink;
  options->shade_masked = state.settings.display.shade_masked;
  options->window = map_window(*s, r);
  const DisplaySettings display = state.settings.display;
  options->adjust_scale = [display](const ColorScale& fitted) { return display_scale(fitted, display); };
  return std::nullopt;
}

// What the map and figure exports start with: false (and the reason in *message) when the export is refused; else
// *long_prompt is the snapshot whose store the focused map must come from (with its window and drawing options), or
// null when the result holds the map itself.
bool focused_source(const UiState& state, const FocusedMap& f, const AttentionSnapshot** long_prompt,
                    MapWindow* window, MapPngOptions* options, std::string* message) {
  *long_prompt = nullptr;
  if (const std::optional<std::string> refusal = export_refusal(state)) {
    *message = *refusal;
    return false;
  }
  const AttentionSnapshot* shown = slot_snapshot(state, f.request.slot);
  if (!f.valid || shown == nullptr || !shown->store || !derive_map(*shown, f.request).empty()) return true;
  if (const std::optional<std::string> reason = streamed_map(state, f, window, options)) {
    *message = *reason;
    return false;
  }
  *long_prompt = shown;
  return true;
}

}  // namespace

bool export_map_png(const UiState& state, const FocusedMap& f, const std::string& path, std::string* message,
                    MapPngJob* background) {
  const AttentionSnapshot* shown = nullptr;
  MapWindow window;
  MapPngOptions options;
  if (!focused_source(state, f, &shown, &window, &options, message)) return false;
  if (shown != nullptr) {
    if (background) return background->start(shown->store, window, path, options, message);
    try {
      stream_map_png(*shown->store, window, path, options);
    } catch (const std::exception& ex) {
      *message = ex.what();
      return false;
    }
    *message = "wrote " + path + " (" + std::to_string(shown->tokens.size()) + " x " +
               std::to_string(shown->tokens.size()) + ", streamed)";
    return true;
  }
  MapToExport e;
  if (!map_to_export(state, f, &e, message)) return false;
  HeatmapImageOptions o;
  o.colormap = e.colormap;
  o.scale = e.scale;
  o.cell_pixels = 1;
  o.shade_masked = state.settings.display.shade_masked;
  o.mask.window = e.window;
  try {
    write_heatmap_png(path, e.matrix, o);
  } catch (const std::exception& ex) {
    *message = ex.what();
    return false;
  }
  *message = "wrote " + path + " (" + std::to_string(e.matrix.cols) + " x " + std::to_string(e.matrix.rows) + ")";
  return true;
}

namespace {

std::string figure_title(const AttentionSnapshot& s, const FocusedMap& f) {
  const std::string head = f.request.head < 0 ? "mean of heads" : "head " + std::to_string(f.request.head);
  return (s.model.name.empty() ? slot_letter(f.request.slot) : s.model.name) + " (" + s.model.model_type +
         ")   layer " + std::to_string(f.request.layer) + "   " + head + "   " + variant_title(f.request.variant) +
         (f.request.row_normalize ? "   rows normalized" : "");
}

// The part of a T x T map that the shared view shows (the maps of a layout are square, so any square widget gives the
// same cells), clipped to the map and to the causal part (keys after the last row are all masked).
MapWindow visible_window(const UiState& state, int64_t T) {
  const MapViewport v = state.view.initialized && state.view_tokens == T ? state.view : fit_viewport(T, T);
  const CellRect r = visible_cells(v, T, T, 1000, 1000);
  MapWindow w;
  w.row_begin = std::clamp<int64_t>(static_cast<int64_t>(std::floor(r.y0)), 0, T - 1);
  w.row_end = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(r.y1)), w.row_begin + 1, T);
  w.col_begin = std::clamp<int64_t>(static_cast<int64_t>(std::floor(r.x0)), 0, T - 1);
  w.col_end = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(r.x1)), w.col_begin + 1, T);
  w.col_end = std::max(w.col_begin + 1, std::min(w.col_end, w.row_end));
  return w;
}

// Axis labels of a pooled window: the tokens themselves at pool 1, else "#first" of each cell.
std::vector<std::string> axis_labels(const AttentionSnapshot& s, int64_t begin, int64_t end, int64_t pool) {
  std::vector<std::string> labels;
  for (int64_t t = begin; t < end; t += pool) {
    labels.push_back(pool == 1 ? s.tokens[static_cast<size_t>(t)].text : "#" + std::to_string(t));
  }
  return labels;
}

// What the figure options ask for besides the map: the title (or none), the span R on the axes of a figure of tokens
// [row_begin, row_end) x [col_begin, col_end) pooled `pool`, and the notes under it.
void apply_figure_options(const UiState& state, const AttentionSnapshot& s, const FocusedMap& f, const MapWindow& w,
                          FigureSpec* spec) {
  const FigureOptions& options = state.settings.figure;
  if (!options.title) spec->title.clear();
  if (options.span) {
    if (const std::optional<TokenSpan> span = span_tokens(state, &s)) {
      spec->span_rows = span_in_cells(*span, w.row_begin, w.row_end, w.pool);
      spec->span_cols = span_in_cells(*span, w.col_begin, w.col_end, w.pool);
      spec->notes.push_back("span R: tokens " + std::to_string(span->begin) + ".." + std::to_string(span->end - 1) +
                            (spec->span_rows || spec->span_cols ? "" : " (outside the part shown)"));
    }
  }
  if (options.lambda && f.request.variant != MapVariant::Rollout) {
    if (const std::optional<std::string> lambda = lambda_caption(s, f.request.layer, f.request.head)) {
      spec->notes.push_back(*lambda);
    }
  }
  if (options.prompt) spec->notes.push_back("prompt: " + prompt_excerpt(state.settings.prompt, state.span_bytes));
}

}  // namespace

bool export_figure_png(const UiState& state, const FocusedMap& f, const std::string& path, int cell_pixels,
                       std::string* message, MapPngJob* background) {
  const AttentionSnapshot* shown = nullptr;
  MapWindow window;
  MapPngOptions options;
  if (!focused_source(state, f, &shown, &window, &options, message)) return false;
  if (shown != nullptr) {  // a long prompt: the visible part of the focused map, from the store
    const MapWindow visible = visible_window(state, static_cast<int64_t>(shown->tokens.size()));
    window.row_begin = visible.row_begin;
    window.row_end = visible.row_end;
    window.col_begin = visible.col_begin;
    window.col_end = visible.col_end;
    const int64_t side = std::max(window.row_end - window.row_begin, window.col_end - window.col_begin);
    window.pool = (side + kFigureMaxCells - 1) / kFigureMaxCells;
    FigureSpec spec;
    spec.colormap = options.colormap;
    spec.cell_pixels = window.pool == 1 ? cell_pixels : std::max(1, std::min(cell_pixels, 4));
    spec.font_path = state.font_path;
    spec.title = figure_title(*shown, f) + "   tokens " + std::to_string(window.row_begin) + ".." +
                 std::to_string(window.row_end - 1) + " x " + std::to_string(window.col_begin) + ".." +
                 std::to_string(window.col_end - 1) +
                 (window.pool > 1 ? "   max |value| of " + std::to_string(window.pool) + "x" +
                                        std::to_string(window.pool) + " tokens per cell"
                                  : "");
    spec.row_labels = axis_labels(*shown, window.row_begin, window.row_end, window.pool);
    spec.col_labels = axis_labels(*shown, window.col_begin, window.col_end, window.pool);
    apply_figure_options(state, *shown, f, window, &spec);
    spec.mask.row_begin = window.row_begin;
    spec.mask.col_begin = window.col_begin;
    spec.mask.pool = window.pool;
    spec.mask.row_end = window.row_end;
    spec.mask.col_end = window.col_end;
    spec.mask.window = options.window;
    const bool hide_sink = options.hide_sink && window.col_begin == 0;
    const std::shared_ptr<const MapStore> store = shown->store;
    auto make = [store, window, spec, options, hide_sink, path](const std::function<bool(double)>& progress) mutable {
      if (progress && !progress(0.0)) return false;
      const Matrix m = store->window(window);
      if (progress && !progress(0.9)) return false;
      spec.map = &m;
      spec.scale = options.adjust_scale ? options.adjust_scale(auto_scale(m, options.signed_map, hide_sink))
                                        : auto_scale(m, options.signed_map, hide_sink);
      std::string error;
      if (!write_figure_png(path, spec, &error)) throw FileError(error);
      return true;
    };
    if (background) return background->start({MapPngJob::Step{path, make}}, "", message);
    try {
      make({});
    } catch (const std::exception& e) {
      *message = e.what();
      return false;
    }
    *message = "wrote " + path;
    return true;
  }
  MapToExport e;
  if (!map_to_export(state, f, &e, message)) return false;
  const AttentionSnapshot* s = e.snapshot;
  FigureSpec spec;
  spec.map = &e.matrix;
  spec.colormap = e.colormap;
  spec.scale = e.scale;
  spec.cell_pixels = cell_pixels;
  spec.font_path = state.font_path;
  spec.title = figure_title(*s, f);
  spec.mask.window = e.window;
  for (const Token& t : s->tokens) {
    spec.row_labels.push_back(t.text);
    spec.col_labels.push_back(t.text);
  }
  MapWindow whole;
  whole.row_end = e.matrix.rows;
  whole.col_end = e.matrix.cols;
  apply_figure_options(state, *s, f, whole, &spec);
  std::string error;
  if (!write_figure_png(path, spec, &error)) {
    *message = error;
    return false;
  }
  *message = "wrote " + path;
  return true;
}

bool export_all_maps(const UiState& state, const std::string& dir_asked, std::string* message,
                     MapPngJob* background) {
  if (const std::optional<std::string> refusal = export_refusal(state)) {
    *message = *refusal;
    return false;
  }
  // A new folder per export (maps, maps_2, ...): an earlier export's files are never overwritten or mixed with these.
  const std::string dir = unique_path(dir_asked);
  int written = 0;
  std::vector<MapPngJob::Item> streamed;  // long prompts' maps, from their stores
  int64_t streamed_pool = 1;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const AttentionSnapshot* s = slot_snapshot(state, slot);
    if (s == nullptr) continue;
    const std::string sub = dir + "/" + slot_letter(slot) + "_" + (s->model.name.empty() ? "model" : s->model.name);
    if (!ensure_dir(sub, message)) return false;
    const bool long_prompt = s->store && !s->layers.empty() && s->layers.front().maps(map_kinds_of(s->model).front()).empty();
    try {
      PngSelection sel;
      sel.hide_sink = state.settings.display.hide_sink;
      if (long_prompt) {
        const int64_t T = static_cast<int64_t>(s->tokens.size());
        MapWindow shape;
        shape.pool = (T + kAllMapsSide - 1) / kAllMapsSide;
        streamed_pool = std::max(streamed_pool, shape.pool);
        std::vector<HeadRef> heads;
        for (int l = 0; l < s->model.num_layers; ++l)
          for (int h = 0; h < s->model.num_heads; ++h) heads.push_back({l, h});
        const DisplaySettings display = state.settings.display;
        for (MapPngTask& task : map_png_tasks(sub, s->model, heads, shape, sel)) {
          task.options.colormap = colormap_for(task.options.signed_map, display);  // as the views draw them
          task.options.shade_masked = display.shade_masked;  // (the layer's window: map_png_tasks)
          task.options.adjust_scale = [display](const ColorScale& fitted) { return display_scale(fitted, display); };
          streamed.push_back({s->store, std::move(task)});
        }
      } else {
        written += static_cast<int>(write_map_pngs(sub, *s, sel).size());
        write_maps_safetensors(sub + "/maps.safetensors", *s);
      }
    } catch (const std::exception& e) {
      *message = e.what();
      return false;
    }
  }
  if (written == 0 && streamed.empty()) {
    *message = "no maps to export: run a prompt first";
    return false;
  }
  std::string dense_note = written > 0 ? "wrote " + std::to_string(written) + " PNGs and maps.safetensors under " + dir
                                       : std::string();
  if (streamed.empty()) {
    *message = "wrote " + std::to_string(written) + " PNGs and maps.safetensors per model under " + dir;
    return true;
  }
  const std::string what = " under " + dir + " (long prompt: " + std::to_string(streamed_pool) + " x " +
                           std::to_string(streamed_pool) + " tokens per pixel, max |value|; no maps.safetensors: " +
                           "diffscope-cli run --maps with --rows/--cols writes windows)";
  if (background) {
    if (!background->start(std::move(streamed), what, message)) return false;
    if (!dense_note.empty()) *message = dense_note + "; " + *message;
    return true;
  }
  size_t done = 0;
  try {
    for (const MapPngJob::Item& item : streamed) {
      write_map_png_task(*item.store, item.task);
      ++done;
    }
  } catch (const std::exception& e) {
    *message = "after " + std::to_string(done) + " of " + std::to_string(streamed.size()) + " PNGs: " + e.what();
    return false;
  }
  *message = (dense_note.empty() ? std::string() : dense_note + "; ") + "wrote " + std::to_string(done) + " PNGs" + what;
  return true;
}

bool export_stats(const UiState& state, const std::string& dir, bool json, std::string* message) {
  if (const std::optional<std::string> refusal = export_refusal(state)) {
    *message = *refusal;
    return false;
  }
  if (!ensure_dir(dir, message)) return false;
  std::string written;
  for (int slot : {kSlotDiff, kSlotStandard}) {
    const AttentionSnapshot* s = slot_snapshot(state, slot);
    if (s == nullptr) continue;
    const std::string path = unique_path(dir + "/stats_" + slot_letter(slot) + "_" +
                                         (s->model.name.empty() ? "model" : s->model.name) + (json ? ".json" : ".csv"));
    try {
      if (json) write_stats_json(path, *s);
      else write_stats_csv(path, *s);
    } catch (const std::exception& e) {
      *message = e.what();
      return false;
    }
    written += (written.empty() ? "" : ", ") + path;
  }
  if (written.empty()) {
    *message = "no statistics to export: run a prompt first";
    return false;
  }
  *message = "wrote " + written;
  return true;
}

namespace {

// The figure options, on one line under Figure PNG.
void draw_figure_options(FigureOptions& options) {
  ImGui::TextDisabled("figure:");
  ImGui::SameLine();
  ImGui::Checkbox("title", &options.title);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The model, layer, head and map above the figure.");
  ImGui::SameLine();
  ImGui::Checkbox("span R", &options.span);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The marked span R in orange on both axes, and its tokens named.");
  ImGui::SameLine();
  ImGui::Checkbox("\xCE\xBB", &options.lambda);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Lambda of the head (Diff maps; Diff V2: mean and range over rows).");
  ImGui::SameLine();
  ImGui::Checkbox("prompt", &options.prompt);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("At most %zu characters of the prompt: around the span R (marked \xC2\xAB...\xC2\xBB), else its "
                      "start; line breaks, controls and characters the font lacks escaped.", kExcerptChars);
  }
}

}  // namespace

void draw_export_panel(UiState& state, UiActions& actions) {
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##export_dir", "export folder (default: current folder)", &state.settings.export_dir);
  const FocusedMap focus = state.focused.valid ? state.focused : default_focus(state);
  ImGui::TextDisabled("map: %s", focus.valid ? file_stem(state, focus).c_str() : "(none)");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click a map to choose which one the map exports use.");
  const std::string dir = export_dir(state);
  std::string message;
  bool ok = true, clicked = false;
  MapPngJob& map_png_job = *state.map_png_job;
  if (ImGui::Button("Map PNG")) {
    clicked = true;
    ok = ensure_dir(dir, &message) &&
         export_map_png(state, focus, unique_path(dir + "/" + file_stem(state, focus) + ".png"), &message,
                        &map_png_job);
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("The focused map at native resolution: one pixel per cell (a long prompt's map is written "
                      "band by band in the background).");
  }
  if (map_png_job.running()) {
    ImGui::ProgressBar(static_cast<float>(map_png_job.progress()), ImVec2(ui_px(160), 0), "exporting");
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) map_png_job.cancel();
  }
  if (auto result = map_png_job.take_result()) {
    clicked = true;
    ok = result->first;
    message = result->second;
  }
  ImGui::SameLine();
  if (ImGui::Button("Figure PNG")) {
    clicked = true;
    ok = ensure_dir(dir, &message) &&
         export_figure_png(state, focus, unique_path(dir + "/" + file_stem(state, focus) + "_figure.png"),
                           state.settings.figure_scale, &message, &map_png_job);
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Title, token labels on both axes and a colorbar (a long prompt: the part of the map the view "
                      "shows; zoom in for token labels).");
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  ImGui::SliderInt("##scale", &state.settings.figure_scale, 1, 32, "%d px/cell");
  draw_figure_options(state.settings.figure);
  if (ImGui::Button("Window PNG")) {
    clicked = true;
    if (ensure_dir(dir, &message)) actions.window_screenshot = unique_path(dir + "/diffscope_window.png");
    else ok = false;
  }
  ImGui::SameLine();
  if (ImGui::Button("All maps")) {
    clicked = true;
    ok = export_all_maps(state, dir + "/maps", &message, &map_png_job);
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Every map of both models as PNGs, plus maps.safetensors (a long prompt's maps: pooled to at "
                      "most %lld pixels a side, written in the background).", static_cast<long long>(kAllMapsSide));
  }
  ImGui::SameLine();
  if (ImGui::Button("Stats JSON")) {
    clicked = true;
    ok = export_stats(state, dir, true, &message);
  }
  ImGui::SameLine();
  if (ImGui::Button("CSV")) {
    clicked = true;
    ok = export_stats(state, dir, false, &message);
  }
  if (clicked && !message.empty()) {
    state.export_message = message;
    state.export_failed = !ok;
  }
  if (!state.export_message.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(state.export_failed ? ImVec4(1, 0.45f, 0.4f, 1) : ImVec4(0.5f, 0.85f, 0.5f, 1), "%s",
                       state.export_message.c_str());
    ImGui::PopTextWrapPos();
  }
}

}  // namespace diffscope::ui
