// Settings persistence as JSON. Main (UI) thread.
#include "settings.h"

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "base64.h"
#include "tokenizer/hf_tokenizer_utf8.h"
#include "json_fields.h"
#include "json_limits.h"
#include "recent_prompts.h"
#include "recent_sessions.h"
#include "ui_scale.h"

namespace diffscope::ui {

namespace {

using nlohmann::json;

const char* mode_name(ColorScale::Mode mode) {
  switch (mode) {
    case ColorScale::Mode::Linear: return "linear";
    case ColorScale::Mode::Log: return "log";
    case ColorScale::Mode::Gamma: return "gamma";
  }
  return "linear";
}

bool mode_from_name(const std::string& name, ColorScale::Mode* mode) {
  if (name == "linear") *mode = ColorScale::Mode::Linear;
  else if (name == "log") *mode = ColorScale::Mode::Log;
  else if (name == "gamma") *mode = ColorScale::Mode::Gamma;
  else return false;
  return true;
}

// `bytes` with each ill-formed UTF-8 subpart as U+FFFD; `*valid` says whether there was none.
std::string repaired_utf8(const std::string& bytes, bool* valid) {
  std::string out;
  *valid = true;
  for (size_t i = 0; i < bytes.size();) {
    bool ok = false;
    const size_t n = utf8::next_unit(bytes, i, ok);
    if (ok) {
      out.append(bytes, i, n);
    } else {
      out += "\xEF\xBF\xBD";
      *valid = false;
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string config_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/diffscope";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.config/diffscope";
  }
  return {};
}

json settings_object(const Settings& s) {
  const DisplaySettings& d = s.display;
  json j = {
      {"model_a", s.model_a},
      {"model_b", s.model_b},
      {"prompt", s.prompt},
      {"layout", layout_name(s.layout)},
      {"layer", s.selection.layer},
      {"head", s.selection.head},
      {"standard_head", s.standard_head},
      {"follow_diff_head", s.follow_diff_head},
      {"head_mean", s.head_mean},
      {"decomposition_with_b", s.decomposition_with_b},
      {"decomposition_raw_a2", s.decomposition_raw_a2},
      {"export_dir", s.export_dir},
      {"figure_scale", s.figure_scale},
      {"stats_height", s.stats_height},
      {"truncate", s.truncate},
      {"ui_scale", s.ui_scale},
      {"figure",
       {{"title", s.figure.title}, {"span", s.figure.span}, {"lambda", s.figure.lambda}, {"prompt", s.figure.prompt}}},
      {"display",
       {{"sequential", colormap_name(d.sequential)},
        {"diverging", colormap_name(d.diverging)},
        {"scale", mode_name(d.mode)},
        {"gamma", d.gamma},
        {"log_floor", d.log_floor},
        {"hide_sink", d.hide_sink},
        {"row_normalize", d.row_normalize},
        {"shade_masked", d.shade_masked},
        {"grid_lines", d.grid_lines},
        {"shared_softmax_scale", d.shared_softmax_scale}}},
  };
  // A JSON string holds UTF-8 only (nlohmann escapes control characters and NUL, and keeps characters above U+FFFF
  // as they are): a prompt with other bytes is written readable, with U+FFFD, and exactly, in base64.
  j["recent_prompts"] = recent_prompts_json(s.recent_prompts);
  j["recent_sessions"] = recent_sessions_json(s.recent_sessions);
  bool valid = true;
  const std::string readable = repaired_utf8(s.prompt, &valid);
  if (!valid) {
    j["prompt"] = readable;
    j["prompt_base64"] = base64_encode(s.prompt);
  }
  return j;
}

std::string dump_settings_json(const json& j) {
  // A folder name that is not UTF-8 would make dump() throw: written with U+FFFD instead (the file stays loadable).
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string settings_to_json(const Settings& s) { return dump_settings_json(settings_object(s)); }

void read_settings_fields(JsonFields& f, Settings* s) {
  f.text("model_a", &s->model_a);
  f.text("model_b", &s->model_b);
  f.text("prompt", &s->prompt);
  // The exact bytes of a prompt that is not UTF-8, when "prompt" is still what they read as (a hand edit of "prompt"
  // wins over a stale copy).
  std::string encoded;
  f.text("prompt_base64", &encoded);
  if (const std::optional<std::string> bytes = base64_decode(encoded); bytes && !encoded.empty()) {
    bool valid = true;
    if (repaired_utf8(*bytes, &valid) == s->prompt) s->prompt = *bytes;
  } else if (!encoded.empty()) {
    f.fail(f.name("prompt_base64") + " is not valid base64 (RFC 4648, padded)");
  }
  f.choice("layout", [&](const std::string& name) {
    const std::optional<Layout> layout = parse_layout(name);
    if (layout) s->layout = *layout;
    return layout.has_value();
  }, "\"decomposition\", \"comparison\", \"grid\"");
  f.integer("layer", &s->selection.layer, 0, kMaxLayerOrHead);
  f.integer("head", &s->selection.head, 0, kMaxLayerOrHead);
  f.integer("standard_head", &s->standard_head, 0, kMaxLayerOrHead);
  f.boolean("follow_diff_head", &s->follow_diff_head);
  f.boolean("head_mean", &s->head_mean);
  f.boolean("decomposition_with_b", &s->decomposition_with_b);
  f.boolean("decomposition_raw_a2", &s->decomposition_raw_a2);
  f.text("export_dir", &s->export_dir);
  f.integer("figure_scale", &s->figure_scale, kMinFigureScale, kMaxFigureScale);
  f.number("stats_height", &s->stats_height, 0.0, 1e6);
  f.boolean("truncate", &s->truncate);
  f.number("ui_scale", &s->ui_scale, kMinUiScale, kMaxUiScale);
  read_recent_prompts(f, &s->recent_prompts);
  read_recent_sessions(f, &s->recent_sessions);
  JsonFields figure = f.object("figure");
  figure.boolean("title", &s->figure.title);
  figure.boolean("span", &s->figure.span);
  figure.boolean("lambda", &s->figure.lambda);
  figure.boolean("prompt", &s->figure.prompt);
  JsonFields display = f.object("display");
  DisplaySettings& d = s->display;
  const char* colormaps = "\"viridis\", \"magma\", \"rdbu\"";
  display.choice("sequential", [&](const std::string& name) { return colormap_from_name(name, &d.sequential); },
                 colormaps);
  display.choice("diverging", [&](const std::string& name) { return colormap_from_name(name, &d.diverging); },
                 colormaps);
  display.choice("scale", [&](const std::string& name) { return mode_from_name(name, &d.mode); },
                 "\"linear\", \"log\", \"gamma\"");
  display.number("gamma", &d.gamma, kMinGamma, kMaxGamma);
  display.number("log_floor", &d.log_floor, kMinLogFloor, 1.0);
  display.boolean("hide_sink", &d.hide_sink);
  display.boolean("row_normalize", &d.row_normalize);
  display.boolean("shade_masked", &d.shade_masked);
  display.boolean("grid_lines", &d.grid_lines);
  display.boolean("shared_softmax_scale", &d.shared_softmax_scale);
}

bool settings_from_json(const std::string& text, Settings* s, std::string* error) {
  json j;
  try {
    j = parse_limited_json(text, "settings");  // size and nesting capped before parsing, as for config.json
  } catch (const std::exception& e) {
    if (error) *error = std::string("settings are not valid JSON: ") + e.what();
    return false;
  }
  if (!j.is_object()) {
    if (error) *error = "settings are not a JSON object";
    return false;
  }
  JsonFields fields(j, nullptr);  // lenient: a field that does not fit keeps its default
  read_settings_fields(fields, s);
  return true;
}

bool load_settings(const std::string& path, Settings* settings, std::string* error) {
  std::string text;
  try {
    if (!read_small_file(path, &text)) return true;  // first run: defaults
  } catch (const std::exception& e) {
    // Not a regular file (a FIFO would block the app at start), unreadable or far too large: left where it is.
    if (error) *error = std::string(e.what()) + "; defaults used";
    *settings = Settings{};
    return false;
  }
  if (!settings_from_json(text, settings, error)) {
    // Set the broken file aside (it is evidence, and the next save must not fail on it) and start from defaults.
    const std::string aside = path + ".broken";
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    if (error) *error = path + ": " + *error + (ec ? "" : "; set aside as " + aside + ", defaults used");
    *settings = Settings{};
    return false;
  }
  return true;
}

bool save_settings(const std::string& path, const Settings& settings, std::string* error) {
  std::string why;
  if (write_file_atomically(path, settings_to_json(settings) + "\n", &why)) return true;
  if (error) *error = "cannot write settings to " + path + ": " + why;
  return false;
}

}  // namespace diffscope::ui
