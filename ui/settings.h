// What the app remembers between runs (model folders, prompt, layout, selection, display options) and where it keeps
// it: a small JSON file in $XDG_CONFIG_HOME/diffscope (or ~/.config/diffscope). Main (UI) thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "colormap.h"
#include "selection.h"

namespace diffscope::ui {

// How maps are coloured; shared by every heatmap view.
struct DisplaySettings {
  Colormap sequential = Colormap::Viridis;   // softmax maps (A1, lambda*A2, standard)
  Colormap diverging = Colormap::RdBu;       // signed maps (D)
  ColorScale::Mode mode = ColorScale::Mode::Linear;
  float gamma = 0.5f;
  float log_floor = 1e-4f;
  bool hide_sink = true;        // leave key 0 (the first-token sink) out of the colour scale
  bool row_normalize = false;   // each query row scaled to its own maximum
  bool shade_masked = true;     // grey the causal (future) triangle
  bool grid_lines = true;       // cell borders once cells are large
  bool shared_softmax_scale = true;  // decomposition: A1 and lambda*A2 on one scale, so D = A1 - lambda*A2 reads off
};

// What a labelled figure shows besides the map and its axes (the export panel's checkboxes).
struct FigureOptions {
  bool title = true;    // the model, layer, head and map above the figure
  bool span = true;     // the span R marked on both axes (and named under the figure)
  bool lambda = true;   // lambda of the head (Diff maps)
  bool prompt = false;  // an excerpt of the prompt (around the span R, else its start), escaped and bounded
  bool operator==(const FigureOptions& o) const {
    return title == o.title && span == o.span && lambda == o.lambda && prompt == o.prompt;
  }
};

struct Settings {
  std::string model_a;          // empty: the bundled default
  std::string model_b;
  std::string prompt;           // exact bytes (settings.json: "prompt", plus "prompt_base64" when not UTF-8)
  Layout layout = Layout::Decomposition;
  Selection selection;
  int standard_head = 0;        // comparison: the standard head when not following the Diff head
  bool follow_diff_head = true;
  bool head_mean = false;       // comparison: compare head means
  bool decomposition_with_b = false;  // decomposition: add slot B's paired map as a fourth panel
  bool decomposition_raw_a2 = false;  // decomposition: show A2 itself instead of lambda * A2
  DisplaySettings display;
  std::string export_dir;       // empty: the current directory
  int figure_scale = 8;         // labelled figure: pixels per cell
  FigureOptions figure;         // labelled figure: what it shows besides the map
  float stats_height = 300;     // statistics panel height, pixels at 100% UI scale (ui_scale.h)
  bool truncate = false;        // run the first tokens that fit a model's context instead of failing
  float ui_scale = 1.0f;        // font and style size, kMinUiScale..kMaxUiScale (ui_scale.h); the window's, not a
                                // session's
  // The last prompts run, newest first, exact bytes (recent_prompts.h: distinct, at most 10, each at most 64 KiB);
  // the user's history, not a session's.
  std::vector<std::string> recent_prompts;
  // The session files opened or saved last, newest first, absolute paths (recent_sessions.h: distinct, at most 10).
  std::vector<std::string> recent_sessions;
};

// What a settings or session file may hold (values outside are refused, or in settings.json kept at their defaults):
// far beyond any model's layers and heads, the figure slider's range, gamma and log floor well around the display
// panel's sliders (Ctrl+click types any value) but never 0 or a number that makes the colour scale degenerate.
constexpr int kMaxLayerOrHead = 65535;
constexpr int kMinFigureScale = 1;
constexpr int kMaxFigureScale = 32;
constexpr double kMinGamma = 0.01;
constexpr double kMaxGamma = 100.0;
constexpr double kMinLogFloor = 1e-30;

class JsonFields;

// The folder settings live in: $XDG_CONFIG_HOME/diffscope, else $HOME/.config/diffscope (empty if neither is set).
std::string config_dir();

// Settings as a JSON object (the prompt as "prompt", plus "prompt_base64" when its bytes are not UTF-8). Session files
// hold the same fields (session.h), so both are written and read by these two.
nlohmann::json settings_object(const Settings& settings);
// Reads the fields `fields` holds into *settings: missing ones keep their values; the reader decides what a field of
// the wrong type or out of range does (json_fields.h: lenient for settings.json, an error for sessions).
void read_settings_fields(JsonFields& fields, Settings* settings);
// The text of such an object: indented, with bytes that are not UTF-8 (a folder name) written as U+FFFD.
std::string dump_settings_json(const nlohmann::json& object);

std::string settings_to_json(const Settings& settings);
// Fields missing or malformed in `json` keep their defaults; returns false (with *error) only for unparsable text.
bool settings_from_json(const std::string& json, Settings* settings, std::string* error);

// Reads `path` into *settings; a missing file is not an error (returns true, defaults kept).
bool load_settings(const std::string& path, Settings* settings, std::string* error);
// Writes the file (creating its folder); false with *error when it cannot.
bool save_settings(const std::string& path, const Settings& settings, std::string* error);

}  // namespace diffscope::ui
