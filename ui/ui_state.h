// Everything the views share within the app: settings, the slots' latest states, hover/drag state, the prompt's
// submission state, export messages, and what the views ask the app to do (UiActions). Main (UI) thread.
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "debounce.h"
#include "inference_worker.h"
#include "lambda_summary.h"
#include "map_png_job.h"
#include "map_source.h"
#include "map_viewport.h"
#include "prompt_text.h"
#include "prompt_undo.h"
#include "prompt_wrap.h"
#include "resources.h"
#include "session.h"
#include "settings.h"
#include "what_if_state.h"

namespace diffscope::ui {

constexpr int kSlotDiff = 0;      // slot "A": the Differential Transformer
constexpr int kSlotStandard = 1;  // slot "B": the standard Transformer

// What the UI asks the app (which owns the worker and the window) to do after a frame.
struct UiActions {
  std::vector<std::pair<int, std::string>> loads;   // (slot, model folder; empty = unload)
  std::optional<RunRequest> run;                    // submit this prompt
  std::vector<int> cancel_loads;                    // the user's Cancel of these slots' loads
  bool cancel_run = false;                          // the user's Cancel of the run, generation or scan in progress
  std::optional<ScanRequest> scan;                  // start this head-effect scan
  std::optional<std::string> window_screenshot;     // save the window to this PNG after the frame is drawn
  bool redraw = false;                              // draw another frame soon (hover mirroring, animations)
  double wake_in = -1;                              // seconds until a frame is due without input (-1: none)
};

// The map the export buttons act on: the last one clicked (or D of the selected head).
struct FocusedMap {
  MapRequest request;
  std::string title;
  bool valid = false;
};

struct UiState {
  Settings settings;
  std::array<SlotState, kNumSlots> slots;           // copied from the worker each frame
  // What the views read of each slot's lambda, summarized once per snapshot (slot_lambda.h): `snapshot` and
  // `sequence` say which one (the pointer is compared, never followed).
  struct SlotLambda {
    const AttentionSnapshot* snapshot = nullptr;
    uint64_t sequence = 0;
    LambdaSummary summary;
  };
  std::array<SlotLambda, kNumSlots> lambda_summaries;
  std::array<std::string, kNumSlots> path_edit;     // model folder fields
  std::array<std::string, kNumSlots> slot_note;     // set by the app when a slot cannot be loaded at all

  // Prompt and runs. settings.prompt holds the prompt's exact bytes; the prompt box edits prompt_text's display text
  // (placeholders for what ImGui 1.86 cannot hold or show) in prompt_box, and each edit maps back to bytes.
  PromptText prompt_text;
  std::string prompt_box;                           // the box's buffer: prompt_wrapped.text
  WrappedText prompt_wrapped;                       // the display text with soft breaks at the box's width
  size_t prompt_cursor = 0;                         // the cursor in prompt_wrapped.text after the last frame
  PromptUndo prompt_undo;                           // the box's undo history (ImGui's is off: prompt_undo.h)
  bool prompt_box_active = false;                   // the box had the keyboard in the last frame
  std::string prompt_typed;                         // characters typed that ImGui cannot take (above U+FFFF,
                                                    // private use), UTF-8: the box inserts them at its cursor
  std::string prompt_note;                          // why the last paste or typed character was refused
  Debouncer debounce;  // its delay follows the slots' last run times (typing_pause_for)
  std::string submitted_text;                       // the text of the last submission
  bool submit_now = false;                          // Ctrl+Enter, a span change, a newly loaded model
  uint64_t submissions = 0;
  // The number of the last submitted prompt text (RunRequest::prompt_id): bumped when a submission's text differs from
  // the one before; reruns of the same text (span, dense maps) keep it. Slots say which prompt their results answer.
  uint64_t prompt_id = 0;
  std::optional<std::pair<int64_t, int64_t>> span_bytes;  // marked relevant span, prompt bytes [begin, end)
  std::string span_prompt;  // the prompt span_bytes indexes: edits since move the span with its text or clear it
  std::vector<std::optional<std::pair<int64_t, int64_t>>> span_undo;  // spans before each "mark R" (undo R)

  // Generation: "Continue" appends the continuation one slot generated to the prompt; its tokens are marked in the
  // strip (from byte `generated_from` on) and can be stepped through (the pinned token is highlighted in every map).
  std::array<uint64_t, kNumSlots> continuations_seen{};
  // The continued prompt's tokens as the generating model produced them. Runs submit these ids while the prompt is
  // still `text`: a new tokenization of the text could split the generated tokens differently, and the maps would
  // belong to ids the model never generated.
  struct ContinuedPrompt {
    std::string text;
    std::vector<Token> tokens;
    std::string tokenizer;  // SlotModel::tokenizer_id of the model that generated them
  };
  std::optional<ContinuedPrompt> continued;
  std::optional<int64_t> generated_from;
  std::string continuation_note;  // what the last "Continue" did ("generated 5 of 8 tokens: the context ... is full")
  bool continuation_short = false;  // it gave fewer tokens than asked, or none: the note is shown as a warning
  std::optional<int64_t> pinned_token;
  bool show_help = false;       // the help window (F1)
  bool sidebar_folded = false;  // the side panel folded to a strip (more width for the maps)
  float main_area_width = 0;    // width of the maps' column in the last frame (for tests of small windows)
  float map_side = 0;           // side of a map of the layout in the last frame, in pixels (the benchmark's zoom)
  float stats_panel_height = 0;  // the statistics panel's height in the last frame, pixels (stats_panel_pixels)
  float colorbar_width = 0;      // a colorbar's width with its labels in the last frame, pixels (colorbar_layout.h)
  // A long prompt's map PNG being written on its own thread; held here so it ends (cancelled) with the UI, before
  // the engine's objects it reads are torn down.
  std::shared_ptr<MapPngJob> map_png_job = std::make_shared<MapPngJob>();

  // Hover and drag, mirrored across views (last frame's values are drawn this frame).
  std::optional<Cell> hover_cell;
  std::optional<int64_t> hover_token;
  std::optional<int64_t> drag_anchor;               // token where a span drag started
  std::optional<int64_t> drag_current;
  MapViewport view;                                 // zoom/pan shared by the maps of a layout
  int64_t view_tokens = -1;                         // token count the view was fitted to

  FocusedMap focused;
  int grid_source = 0;                              // 0: A's D, 1: A's A1, 2: A's A2, 3: B's maps
  bool show_rollout = false;                        // comparison: attention rollout instead of one layer's maps

  // Sessions (session.h, session_state.h): the side panel's path field (empty: the default name), what the last Save
  // or Open did, and what an opened session applies once its prompt's results arrive (the selection is clamped to the
  // models loaded when it is set, and the view is in the new prompt's tokens).
  std::string session_path;
  std::string session_message;
  bool session_failed = false;
  double session_message_time = -1;  // `now` when session_message was set (the status bar shows it for a while)
  struct PendingSession {
    std::string prompt;                // dropped when the prompt is edited before the results arrive
    Selection selection;
    int standard_head = 0;
    std::optional<SessionFocus> focus;
    std::optional<SessionView> view;
  };
  std::optional<PendingSession> session_pending;

  // What-if (issue 14): the interventions every run carries, the target, which run the maps show, the scan's choices.
  WhatIfUi what_if;

  // Resources and messages.
  std::vector<ExamplePrompt> examples;
  std::string font_path;
  std::string gl_error;                             // the heatmap pipeline could not start
  std::string export_message;
  bool export_failed = false;
  double now = 0;
};

// The snapshot the views show for a slot (slot_results.h: the current prompt's, or marked as the previous prompt's),
// or null when they show nothing for it.
const AttentionSnapshot* slot_snapshot(const UiState& s, int slot);

// Tokens the strip shows: slot A's latest snapshot, else slot B's (empty when none).
const std::vector<Token>& shown_tokens(const UiState& s);

// The relevant span as token indices of `snapshot` (from span_bytes), if any.
std::optional<TokenSpan> span_tokens(const UiState& s, const AttentionSnapshot* snapshot);

// Dense maps (every map of every head on the host, what rollout, head means, row normalization at any zoom and exports
// of whole maps read) are asked for while both slots' maps stay under this; longer prompts get statistics, overviews
// and the store, and views fetch windows. 256 MiB keeps the bundled pair dense up to ~700 tokens (120 maps a token
// pair) and a 1B-shaped pair (16 layers x 32 heads) up to ~300 tokens, where uploading every map still takes well
// under a second; the engine's own limit (4 GiB) is far above it, so an estimate a few times off is harmless.
constexpr int64_t kDenseMapBudgetBytes = int64_t{256} << 20;


// The longer of the slots' last runs, in seconds (snapshot->seconds), or -1 when no slot has run: the editor's pause
// before a run follows it (typing_pause_for in debounce.h).
double slowest_last_run_seconds(const std::array<SlotState, kNumSlots>& slots);
// Whether every loaded model runs on a GPU (its device "cuda..."), and at least one is loaded (typing_pause_for).
bool models_on_gpu(const std::array<SlotState, kNumSlots>& slots);


// A RunRequest for the current prompt and span (with the continued prompt's tokens while the prompt is unchanged), with
// the what-if's interventions and target.
RunRequest make_run_request(const UiState& s);

// Appends each continuation a slot published since the last call to the prompt, keeps its tokens for the next runs
// and asks for a run. Every continuation (a short or empty one too) leaves its message in continuation_note.
void take_continuations(UiState& s);

// Prepares a submission of the current prompt: a new prompt_id when the text differs from the last submitted text.
// Returns the request (make_run_request) with that id.
RunRequest submit_prompt(UiState& s);

// Keeps the marked span with the prompt's edits since span_prompt (span_follow.h: moved with its text, or cleared when
// the edit touched it); call once per frame and after the prompt changed.
void follow_prompt_edits(UiState& s);

// Marks the tokens `query` names (find_token_span over the shown tokens, from the match after token `after`) as the
// span R and asks for a run, keeping the span before for undo_span. False, changing nothing, when the query names no
// token or the tokens shown are an older prompt's.
bool mark_span_by_query(UiState& s, const std::string& query, int64_t after = -1);
// Brings back the span before the last mark_span_by_query (edits of the prompt forget them); false when there is none.
bool undo_span(UiState& s);

}  // namespace diffscope::ui
