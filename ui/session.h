// Session files: what a researcher is looking at (both slots' model folders, the prompt's exact bytes, the span R, the
// layout, selection and view, display settings), saved to come back to it or to send to a colleague. Results are not
// kept: opening a session loads the models and runs the prompt again. A session file is untrusted input, read with
// the limits of settings.json (size and nesting capped, numbers range-checked) but strictly: a field of the wrong type
// or out of range refuses the whole file with a message naming it, so a bad file changes nothing. Unknown fields are
// ignored; a newer format version is refused. Plain C++ (no UI, no torch); main (UI) thread for the file functions,
// any thread for the JSON ones.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "intervention.h"
#include "settings.h"

namespace diffscope::ui {

// The format version this build writes and the newest it reads ("diffscope_session" in the file).
constexpr int kSessionVersion = 1;
constexpr const char* kSessionFileName = "diffscope_session.json";

// The map the export buttons act on. `map` names its kind: "A1", "A2", "lambda_A2", "D", "attention", "rollout".
struct SessionFocus {
  int slot = 0;            // 0: slot A, 1: slot B ("A" / "B" in the file)
  int layer = 0;
  int head = 0;            // -1: the mean over the layer's heads
  std::string map = "D";
  bool row_normalize = false;
  bool hide_sink = false;
  bool operator==(const SessionFocus& o) const {
    return slot == o.slot && layer == o.layer && head == o.head && map == o.map && row_normalize == o.row_normalize &&
           hide_sink == o.hide_sink;
  }
};

// The maps' shared zoom and centre (MapViewport), in token units: the same region of a 32K-token map comes back.
struct SessionView {
  double zoom = 1.0;
  double center_x = 0.0;
  double center_y = 0.0;
  int64_t tokens = 0;      // the prompt's tokens when it was saved (the view is applied whatever the count now)
  bool operator==(const SessionView& o) const {
    return zoom == o.zoom && center_x == o.center_x && center_y == o.center_y && tokens == o.tokens;
  }
};

struct Session {
  // Model folders (empty: the slot is left as it is), the prompt's bytes, truncate, layout, layer/head, the standard
  // head pairing (standard_head, follow_diff_head), head mean, the decomposition's options, display settings, export
  // folder, figure scale and figure options. stats_height and ui_scale are the window's and recent_prompts the user's,
  // not the session's: not written.
  Settings settings;
  std::optional<std::pair<int64_t, int64_t>> span;  // the marked span R: bytes [begin, end) of settings.prompt
  bool rollout = false;                             // comparison: attention rollout
  int grid_source = 0;                              // grid: 0 A's D, 1 A's A1, 2 A's A2, 3 B's maps
  std::optional<SessionFocus> focus;
  std::optional<SessionView> view;
  // What-if (issue 14): each slot's interventions (written as --intervene specs under "interventions": {"A": [...],
  // "B": [...]}) and the target answer text.
  std::array<std::vector<Intervention>, 2> interventions;
  std::string target_text;
  bool target_span = false;  // the what-if's target is span R
};

// Names of SessionFocus::map, in the order of the UI's MapVariant (A1, A2, LambdaA2, Diff, Standard, Rollout).
constexpr int kSessionMapKinds = 6;
extern const char* const kSessionMapNames[kSessionMapKinds];

// `session` with each value pulled into what session_from_json accepts (NaN to the default), and a span outside the
// prompt dropped: a slider's Ctrl+click can type values past its range, and a saved session must open.
Session within_limits(Session session);

std::string session_to_json(const Session& session);
// Parses a session; false with the reason in *error ("\"layer\" must be a whole number from 0 to 65535, got
// \"three\"") and *session untouched when the text is not a session this build can open.
bool session_from_json(const std::string& text, Session* session, std::string* error);

// Reads `path` (a regular file of at most kMaxConfigJsonBytes); false with "cannot open session PATH: why" otherwise.
bool load_session(const std::string& path, Session* session, std::string* error);
// Writes atomically (atomic_file.h), creating the folder; false with "cannot save session to PATH: why".
bool save_session(const std::string& path, const Session& session, std::string* error);

// `current` with the session's settings in place: all of them but a model folder the session leaves empty, the
// statistics panel's height, the UI scale and the recent prompts, which stay.
Settings settings_with_session(const Settings& current, const Session& session);

// Where a session goes when the user chose no name: diffscope_session.json in the export folder ("" = the current
// folder), numbered (_2, _3, ...) when that exists, as exports are (unique_path.h).
std::string default_session_path(const std::string& export_dir);

}  // namespace diffscope::ui
