// Session files as JSON (session.h): the settings' fields (settings_object / read_settings_fields) plus the span, the
// view and the focused map, under a format version. Main (UI) thread for the file functions, any thread otherwise.
#include "session.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "json_fields.h"
#include "json_limits.h"
#include "map_viewport.h"
#include "unique_path.h"

namespace diffscope::ui {

const char* const kSessionMapNames[kSessionMapKinds] = {"A1", "A2", "lambda_A2", "D", "attention", "rollout"};

namespace {

using nlohmann::json;

constexpr const char* kVersionKey = "diffscope_session";
constexpr int64_t kMaxTokens = int64_t{1} << 32;  // far beyond any context; bounds the view's numbers
constexpr double kMaxCentre = 1e12;

json focus_object(const SessionFocus& f) {
  return {{"slot", f.slot == 0 ? "A" : "B"}, {"layer", f.layer},         {"head", f.head},
          {"map", f.map},                     {"row_normalize", f.row_normalize}, {"hide_sink", f.hide_sink}};
}

json view_object(const SessionView& v) {
  return {{"zoom", v.zoom}, {"center_x", v.center_x}, {"center_y", v.center_y}, {"tokens", v.tokens}};
}

// "interventions": {"A": [spec, ...], "B": [...]} with --intervene specs (intervention.h); a spec that does not parse
// refuses the file naming it. At most kMaxSessionInterventions a slot.
constexpr size_t kMaxSessionInterventions = 4096;
void read_interventions(JsonFields& f, std::array<std::vector<Intervention>, 2>* out) {
  const json* v = f.find("interventions");
  if (v == nullptr || v->is_null()) return;
  if (!v->is_object()) {
    f.wrong("interventions", "an object {\"A\": [specs], \"B\": [specs]}", *v);
    return;
  }
  for (size_t slot = 0; slot < out->size(); ++slot) {
    const char* key = slot == 0 ? "A" : "B";
    const auto it = v->find(key);
    if (it == v->end() || it->is_null()) continue;
    if (!it->is_array() || it->size() > kMaxSessionInterventions) {
      f.fail(f.name("interventions") + "." + key + " must be a list of at most " +
             std::to_string(kMaxSessionInterventions) + " specs like \"L1.H2:lambda=0\"");
      return;
    }
    for (const json& spec : *it) {
      if (!spec.is_string()) {
        f.fail(f.name("interventions") + "." + key + " must hold specs as text, like \"L1.H2:lambda=0\"");
        return;
      }
      try {
        (*out)[slot].push_back(parse_intervention(spec.get<std::string>()));
      } catch (const std::exception& e) {
        f.fail(f.name("interventions") + "." + key + ": " + e.what());
        return;
      }
    }
  }
}

// "span": null, or [begin, end] byte offsets with 0 <= begin < end <= the prompt's size.
void read_span(JsonFields& f, const std::string& prompt, std::optional<std::pair<int64_t, int64_t>>* span) {
  const json* v = f.find("span");
  if (v == nullptr || v->is_null()) return;
  if (!v->is_array() || v->size() != 2 || !(*v)[0].is_number_integer() || !(*v)[1].is_number_integer()) {
    f.wrong("span", "null or [begin, end] (byte offsets in the prompt)", *v);
    return;
  }
  const auto offset = [](const json& n) {
    // Unsigned values above int64's range read as -1: outside the prompt either way.
    if (n.is_number_unsigned()) {
      const uint64_t u = n.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? int64_t{-1} : static_cast<int64_t>(u);
    }
    return n.get<int64_t>();
  };
  const int64_t begin = offset((*v)[0]), end = offset((*v)[1]);
  const int64_t size = static_cast<int64_t>(prompt.size());
  if (begin < 0 || end <= begin || end > size) {
    f.fail(f.name("span") + " must be [begin, end] with 0 <= begin < end <= " + std::to_string(size) +
           " (the prompt's bytes), got " + v->dump());  // two integers: short
    return;
  }
  *span = std::make_pair(begin, end);
}

void read_focus(JsonFields& parent, std::optional<SessionFocus>* out) {
  const json* v = parent.find("focus");
  if (v == nullptr || v->is_null()) return;
  JsonFields f = parent.object("focus");
  if (!v->is_object()) return;  // named by object()
  SessionFocus focus;
  f.choice("slot", [&](const std::string& name) {
    focus.slot = name == "B" ? 1 : 0;
    return name == "A" || name == "B";
  }, "\"A\", \"B\"");
  f.integer("layer", &focus.layer, 0, kMaxLayerOrHead);
  f.integer("head", &focus.head, -1, kMaxLayerOrHead);
  f.choice("map", [&](const std::string& name) {
    focus.map = name;
    return std::find_if(std::begin(kSessionMapNames), std::end(kSessionMapNames),
                        [&](const char* known) { return name == known; }) != std::end(kSessionMapNames);
  }, "\"A1\", \"A2\", \"lambda_A2\", \"D\", \"attention\", \"rollout\"");
  f.boolean("row_normalize", &focus.row_normalize);
  f.boolean("hide_sink", &focus.hide_sink);
  *out = focus;
}

void read_view(JsonFields& parent, std::optional<SessionView>* out) {
  const json* v = parent.find("view");
  if (v == nullptr || v->is_null()) return;
  JsonFields f = parent.object("view");
  if (!v->is_object()) return;
  SessionView view;
  f.number("zoom", &view.zoom, kMinZoom, kMaxZoom);
  f.number("center_x", &view.center_x, -kMaxCentre, kMaxCentre);
  f.number("center_y", &view.center_y, -kMaxCentre, kMaxCentre);
  f.integer("tokens", &view.tokens, 0, kMaxTokens);
  *out = view;
}

double finite_clamp(double v, double low, double high, double fallback) {
  return std::isfinite(v) ? std::clamp(v, low, high) : fallback;
}

}  // namespace

Session within_limits(Session s) {
  Settings& t = s.settings;
  t.selection.layer = std::clamp(t.selection.layer, 0, kMaxLayerOrHead);
  t.selection.head = std::clamp(t.selection.head, 0, kMaxLayerOrHead);
  t.standard_head = std::clamp(t.standard_head, 0, kMaxLayerOrHead);
  t.figure_scale = std::clamp(t.figure_scale, kMinFigureScale, kMaxFigureScale);
  const DisplaySettings defaults;
  t.display.gamma = static_cast<float>(finite_clamp(t.display.gamma, kMinGamma, kMaxGamma, defaults.gamma));
  t.display.log_floor = static_cast<float>(finite_clamp(t.display.log_floor, kMinLogFloor, 1.0, defaults.log_floor));
  s.grid_source = std::clamp(s.grid_source, 0, 3);
  const int64_t size = static_cast<int64_t>(t.prompt.size());
  if (s.span && (s.span->first < 0 || s.span->second <= s.span->first || s.span->second > size)) s.span.reset();
  if (s.focus) {
    s.focus->slot = std::clamp(s.focus->slot, 0, 1);
    s.focus->layer = std::clamp(s.focus->layer, 0, kMaxLayerOrHead);
    s.focus->head = std::clamp(s.focus->head, -1, kMaxLayerOrHead);
    if (std::find(std::begin(kSessionMapNames), std::end(kSessionMapNames), s.focus->map) ==
        std::end(kSessionMapNames)) {
      s.focus->map = "D";
    }
  }
  if (s.view) {
    s.view->zoom = finite_clamp(s.view->zoom, kMinZoom, kMaxZoom, 1.0);
    s.view->center_x = finite_clamp(s.view->center_x, -kMaxCentre, kMaxCentre, 0.0);
    s.view->center_y = finite_clamp(s.view->center_y, -kMaxCentre, kMaxCentre, 0.0);
    s.view->tokens = std::clamp<int64_t>(s.view->tokens, 0, kMaxTokens);
  }
  return s;
}

std::string session_to_json(const Session& s) {
  json j = settings_object(s.settings);
  j.erase("stats_height");  // the window's, as the UI scale: not the session's
  j.erase("ui_scale");
  j.erase("recent_prompts");  // the user's history stays with the user
  j.erase("recent_sessions");
  j[kVersionKey] = kSessionVersion;
  j["span"] = s.span ? json::array({s.span->first, s.span->second}) : json();
  j["rollout"] = s.rollout;
  j["grid_source"] = s.grid_source;
  j["focus"] = s.focus ? focus_object(*s.focus) : json();
  j["view"] = s.view ? view_object(*s.view) : json();
  json interventions = json::object();
  for (size_t slot = 0; slot < s.interventions.size(); ++slot) {
    json specs = json::array();
    for (const Intervention& iv : s.interventions[slot]) specs.push_back(intervention_spec(iv));
    interventions[slot == 0 ? "A" : "B"] = specs;
  }
  j["interventions"] = interventions;
  j["target_text"] = s.target_text;
  j["target_span"] = s.target_span;
  return dump_settings_json(j);
}

bool session_from_json(const std::string& text, Session* out, std::string* error) {
  std::string problem;
  const auto refuse = [&](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  json j;
  try {
    j = parse_limited_json(text, "session");  // size and nesting capped before parsing (json_limits.h)
  } catch (const std::exception& e) {
    const std::string what = e.what(), prefix = "session: ";
    return refuse(what.compare(0, prefix.size(), prefix) == 0 ? what.substr(prefix.size()) : what);
  }
  if (!j.is_object()) return refuse("not a DiffScope session (the file is not a JSON object)");
  JsonFields f(j, &problem);  // strict: the first field that does not fit refuses the file
  if (!f.has(kVersionKey)) {
    return refuse("not a DiffScope session (it has no \"" + std::string(kVersionKey) + "\" format version)");
  }
  const json& v = *f.find(kVersionKey);
  uint64_t version = 0;  // 0: not a format version
  if (v.is_number_unsigned()) version = v.get<uint64_t>();
  else if (v.is_number_integer()) version = v.get<int64_t>() < 1 ? 0 : static_cast<uint64_t>(v.get<int64_t>());
  if (version == 0) {
    return refuse(f.name(kVersionKey) + " (the format version) must be a whole number, 1 or more, got " +
                  describe_json(v));
  }
  if (version > static_cast<uint64_t>(kSessionVersion)) {
    return refuse("it was written by a newer DiffScope (session format " + std::to_string(version) +
                  "; this version reads format " + std::to_string(kSessionVersion) +
                  " and older): open it with a newer DiffScope");
  }
  Session s;
  read_settings_fields(f, &s.settings);
  read_span(f, s.settings.prompt, &s.span);
  f.boolean("rollout", &s.rollout);
  f.integer("grid_source", &s.grid_source, 0, 3);
  read_focus(f, &s.focus);
  read_view(f, &s.view);
  read_interventions(f, &s.interventions);
  f.text("target_text", &s.target_text);
  f.boolean("target_span", &s.target_span);
  if (!problem.empty()) return refuse(problem);
  *out = std::move(s);
  return true;
}

bool load_session(const std::string& path, Session* session, std::string* error) {
  std::string text, why;
  try {
    if (!read_small_file(path, &text)) why = "no such file";
  } catch (const std::exception& e) {
    // FileError names the path: "PATH: not a regular file" (a FIFO would block the app), too large, unreadable.
    if (error) *error = std::string("cannot open session ") + e.what();
    return false;
  }
  if (why.empty() && session_from_json(text, session, &why)) return true;
  if (error) *error = "cannot open session " + path + ": " + why;
  return false;
}

bool save_session(const std::string& path, const Session& session, std::string* error) {
  std::string why;
  if (write_file_atomically(path, session_to_json(session) + "\n", &why)) return true;
  if (error) *error = "cannot save session to " + path + ": " + why;
  return false;
}

Settings settings_with_session(const Settings& current, const Session& session) {
  Settings s = session.settings;
  if (s.model_a.empty()) s.model_a = current.model_a;
  if (s.model_b.empty()) s.model_b = current.model_b;
  s.stats_height = current.stats_height;
  s.ui_scale = current.ui_scale;
  s.recent_prompts = current.recent_prompts;
  s.recent_sessions = current.recent_sessions;
  return s;
}

std::string default_session_path(const std::string& export_dir) {
  return unique_path((export_dir.empty() ? std::string(".") : export_dir) + "/" + kSessionFileName);
}

}  // namespace diffscope::ui
