// Settings persistence as JSON. Main (UI) thread.
#include "settings.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base64.h"
#include "hf_tokenizer_utf8.h"
#include "json_limits.h"

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

ColorScale::Mode mode_from_name(const std::string& name, ColorScale::Mode fallback) {
  if (name == "linear") return ColorScale::Mode::Linear;
  if (name == "log") return ColorScale::Mode::Log;
  if (name == "gamma") return ColorScale::Mode::Gamma;
  return fallback;
}

// Reads j[key] into *out when it exists and has the right type; anything else keeps the default.
// Reads `key` into *out when it holds a value of that type that fits; otherwise *out keeps its default. Numbers are
// checked before converting: nlohmann converts any number to an int or float as a cast would, and a cast of a value
// out of range (a hand-edited "head": 8.9e40, found by the fuzz harness) is undefined behaviour.
template <typename T>
void read(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) *out = it->template get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (it->is_number_integer() && !it->is_number_unsigned()) {
      const int64_t v = it->template get<int64_t>();
      if (v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max()) *out = static_cast<T>(v);
    } else if (it->is_number_unsigned()) {
      const uint64_t v = it->template get<uint64_t>();
      if (v <= static_cast<uint64_t>(std::numeric_limits<T>::max())) *out = static_cast<T>(v);
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (it->is_number()) {
      const double v = it->template get<double>();
      if (std::isfinite(v) && std::fabs(v) <= static_cast<double>(std::numeric_limits<T>::max())) {
        *out = static_cast<T>(v);
      }
    }
  } else {
    try {
      *out = it->template get<T>();
    } catch (const json::exception&) {
    }
  }
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

std::string settings_to_json(const Settings& s) {
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
  bool valid = true;
  const std::string readable = repaired_utf8(s.prompt, &valid);
  if (!valid) {
    j["prompt"] = readable;
    j["prompt_base64"] = base64_encode(s.prompt);
  }
  // A folder name that is not UTF-8 would make dump() throw: written with U+FFFD instead (the file stays loadable).
  return j.dump(2, ' ', false, json::error_handler_t::replace);
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
  read(j, "model_a", &s->model_a);
  read(j, "model_b", &s->model_b);
  read(j, "prompt", &s->prompt);
  // The exact bytes of a prompt that is not UTF-8, when "prompt" is still what they read as (a hand edit of "prompt"
  // wins over a stale copy).
  std::string encoded;
  read(j, "prompt_base64", &encoded);
  if (const std::optional<std::string> bytes = base64_decode(encoded); bytes && !encoded.empty()) {
    bool valid = true;
    if (repaired_utf8(*bytes, &valid) == s->prompt) s->prompt = *bytes;
  }
  std::string layout;
  read(j, "layout", &layout);
  if (auto l = parse_layout(layout)) s->layout = *l;
  read(j, "layer", &s->selection.layer);
  read(j, "head", &s->selection.head);
  read(j, "standard_head", &s->standard_head);
  read(j, "follow_diff_head", &s->follow_diff_head);
  read(j, "head_mean", &s->head_mean);
  read(j, "decomposition_with_b", &s->decomposition_with_b);
  read(j, "decomposition_raw_a2", &s->decomposition_raw_a2);
  read(j, "export_dir", &s->export_dir);
  read(j, "figure_scale", &s->figure_scale);
  read(j, "stats_height", &s->stats_height);
  read(j, "truncate", &s->truncate);
  if (auto it = j.find("display"); it != j.end() && it->is_object()) {
    DisplaySettings& d = s->display;
    std::string name;
    read(*it, "sequential", &name);
    colormap_from_name(name, &d.sequential);
    name.clear();
    read(*it, "diverging", &name);
    colormap_from_name(name, &d.diverging);
    name.clear();
    read(*it, "scale", &name);
    d.mode = mode_from_name(name, d.mode);
    read(*it, "gamma", &d.gamma);
    read(*it, "log_floor", &d.log_floor);
    read(*it, "hide_sink", &d.hide_sink);
    read(*it, "row_normalize", &d.row_normalize);
    read(*it, "shade_masked", &d.shade_masked);
    read(*it, "grid_lines", &d.grid_lines);
    read(*it, "shared_softmax_scale", &d.shared_softmax_scale);
  }
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
  // Written to a temporary file in the same folder, flushed to disk, then renamed over the old one: a crash or kill
  // at any moment leaves either the old file or the new one, never a half-written one.
  std::error_code ec;
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const std::string& why) {
    if (error) *error = "cannot write settings to " + path + (why.empty() ? "" : ": " + why);
    std::remove(temporary.c_str());
    return false;
  };
  FILE* out = std::fopen(temporary.c_str(), "wb");
  if (!out) return fail(std::strerror(errno));
  const std::string text = settings_to_json(settings) + "\n";
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0 &&
                       ::fsync(::fileno(out)) == 0;
  const int write_errno = errno;
  if (std::fclose(out) != 0 || !written) return fail(std::strerror(write_errno));
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return fail(std::strerror(errno));
  return true;
}

}  // namespace diffscope::ui
