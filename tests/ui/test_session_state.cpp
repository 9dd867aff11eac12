// Sessions in the app's state (ui/session_state.h): what Save takes from the state, what Open puts in place at once
// (models through the load actions, prompt, span) and what it applies only once the prompt's results are in
// (selection, focused map, view), and the Save / Open actions' messages. Test thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "answered_slots.h"
#include "session_state.h"
#include "slot_results.h"

using namespace diffscope;
using namespace diffscope::ui;
using testing::answered_state;
using testing::demo_result;

namespace {

// The worker's answer to the last submission: new snapshots of the prompt in the editor.
void answer_submission(UiState& s) {
  for (int slot : {kSlotDiff, kSlotStandard}) {
    SlotState& st = s.slots[static_cast<size_t>(slot)];
    st.snapshot =
        demo_result(s.settings.prompt, slot == kSlotDiff ? AttentionKind::Differential : AttentionKind::Standard);
    st.snapshot_prompt_id = s.prompt_id;
    ++st.sequence;
  }
}

Session saved_session() {
  Session session;
  session.settings.model_a = "/m/a";        // what slot A holds: no reload
  session.settings.model_b = "/m/other_b";  // a different folder: loaded
  session.settings.prompt = "The magic number of Paris is 4721.";  // 34 bytes, one demo token each
  session.settings.layout = Layout::Comparison;
  session.settings.selection = {1, 3};
  session.settings.standard_head = 2;
  session.span = std::make_pair(int64_t{29}, int64_t{33});  // "4721"
  session.rollout = true;
  session.grid_source = 3;
  session.focus = SessionFocus{1, 1, 2, "attention", false, true};
  session.view = SessionView{4.0, 20.5, 30.25, 34};
  return session;
}

}  // namespace

TEST_CASE("opening a session loads the folders that differ, sets prompt and span, and runs") {
  UiState s = answered_state("Paris is 4721.");
  s.generated_from = 5;
  s.pinned_token = 6;
  s.span_undo.push_back(std::nullopt);
  s.settings.stats_height = 420;
  UiActions actions;
  open_session(s, saved_session(), &actions);
  REQUIRE(actions.loads.size() == 1);
  CHECK(actions.loads[0] == std::make_pair(kSlotStandard, std::string("/m/other_b")));
  CHECK(s.path_edit[kSlotStandard] == "/m/other_b");
  CHECK(s.settings.prompt == "The magic number of Paris is 4721.");
  CHECK(s.span_bytes == std::make_optional(std::make_pair(int64_t{29}, int64_t{33})));
  CHECK(s.span_prompt == s.settings.prompt);  // the span indexes this prompt: edits move it from here
  CHECK(s.settings.layout == Layout::Comparison);
  CHECK(s.settings.stats_height == 420);  // the window's
  CHECK(s.show_rollout);
  CHECK(s.grid_source == 3);
  CHECK_FALSE(s.generated_from);
  CHECK_FALSE(s.pinned_token);
  CHECK(s.span_undo.empty());
  CHECK(s.submit_now);
  CHECK(s.session_pending);
}

TEST_CASE("an opened session's selection, focused map and view wait for its prompt's results") {
  UiState s = answered_state("Paris is 4721.");
  UiActions actions;
  open_session(s, saved_session(), &actions);
  s.settings.selection = {0, 0};  // what the header's clamp to the old model could leave meanwhile
  submit_prompt(s);
  s.slots[kSlotStandard].phase = SlotState::Phase::Loading;  // the load the app carried out
  apply_pending_session(s);
  CHECK(s.session_pending);  // a slot loading
  s.slots[kSlotStandard].phase = SlotState::Phase::Ready;
  apply_pending_session(s);
  CHECK(s.session_pending);  // the old prompt's results: not the session's
  CHECK(slot_result(s, kSlotDiff).kind == ResultKind::Previous);

  // While it waits, Save writes what it will apply.
  const Session meanwhile = session_from_state(s);
  CHECK(meanwhile.settings.selection == Selection{1, 3});
  CHECK(meanwhile.view == saved_session().view);

  answer_submission(s);
  s.slots[kSlotDiff].running = true;  // A still running (a rerun): wait
  apply_pending_session(s);
  CHECK(s.session_pending);
  s.slots[kSlotDiff].running = false;
  apply_pending_session(s);
  CHECK_FALSE(s.session_pending);
  CHECK(s.settings.selection == Selection{1, 3});
  CHECK(s.settings.standard_head == 2);
  CHECK(s.view.initialized);
  CHECK(s.view.zoom == 4.0);
  CHECK(s.view.center_x == 20.5);
  CHECK(s.view.center_y == 30.25);
  CHECK(s.view_tokens == 34);  // the shown tokens: fitting the view to them leaves it
  REQUIRE(s.focused.valid);
  CHECK(s.focused.request.slot == kSlotStandard);
  CHECK(s.focused.request.sequence == s.slots[kSlotStandard].sequence);
  CHECK(s.focused.request.variant == MapVariant::Standard);
  CHECK(s.focused.request.layer == 1);
  CHECK(s.focused.request.head == 2);
  CHECK(s.focused.request.hide_sink);
}

TEST_CASE("a prompt edited before the session's results arrive drops what the session waited to apply") {
  UiState s = answered_state("Paris is 4721.");
  UiActions actions;
  open_session(s, saved_session(), &actions);
  s.settings.prompt += " More.";
  apply_pending_session(s);
  CHECK_FALSE(s.session_pending);
  CHECK_FALSE(s.view.initialized);
}

TEST_CASE("Save takes the slots' folders, the span of the prompt in the editor, the view and the focused map") {
  UiState s = answered_state("Paris is 4721.");
  s.slots[kSlotStandard].phase = SlotState::Phase::Empty;
  s.span_bytes = std::make_pair(int64_t{9}, int64_t{13});
  s.span_prompt = s.settings.prompt;
  s.view = MapViewport{2.0, 7.5, 6.5, true};
  s.view_tokens = 14;
  s.focused.valid = true;
  s.focused.request.slot = kSlotDiff;
  s.focused.request.variant = MapVariant::LambdaA2;
  s.focused.request.layer = 1;
  s.focused.request.head = -1;
  const Session session = session_from_state(s);
  CHECK(session.settings.model_a == "/m/a");
  CHECK(session.settings.model_b.empty());  // an empty slot: opening leaves the slot as it is
  CHECK(session.span == s.span_bytes);
  CHECK(session.view == SessionView{2.0, 7.5, 6.5, 14});
  CHECK(session.focus == SessionFocus{0, 1, -1, "lambda_A2", false, false});
  s.span_bytes = std::make_pair(int64_t{9}, int64_t{40});  // past the prompt's end: not written
  CHECK_FALSE(session_from_state(s).span);
}

TEST_CASE("Save and Open: default names never overwrite, a bad file changes nothing and says why") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_session_actions";
  std::filesystem::remove_all(dir);
  UiState s = answered_state("Paris is 4721.");
  s.settings.export_dir = dir.string();
  REQUIRE(save_session_action(s));
  CHECK(s.session_message == "saved session to " + (dir / "diffscope_session.json").string());
  REQUIRE(save_session_action(s));
  CHECK(s.session_message == "saved session to " + (dir / "diffscope_session_2.json").string());
  s.session_path = (dir / "mine.json").string();
  REQUIRE(save_session_action(s));
  REQUIRE(save_session_action(s));  // a name the user chose: overwritten
  CHECK(s.session_message == "saved session to " + (dir / "mine.json").string());
  CHECK_FALSE(std::filesystem::exists(dir / "mine_2.json"));

  std::ofstream(dir / "bad.json") << R"({"diffscope_session": 1, "prompt": "other", "span": [0, 99]})";
  s.session_path = (dir / "bad.json").string();
  s.settings.selection = {1, 1};
  UiActions actions;
  CHECK_FALSE(open_session_action(s, actions));
  CHECK(s.session_failed);
  CHECK(s.session_message == "cannot open session " + (dir / "bad.json").string() +
                                 ": \"span\" must be [begin, end] with 0 <= begin < end <= 5 (the prompt's bytes), "
                                 "got [0,99]");
  CHECK(s.settings.prompt == "Paris is 4721.");
  CHECK(s.settings.selection == Selection{1, 1});
  CHECK_FALSE(s.session_pending);
  CHECK_FALSE(s.submit_now);
  CHECK(actions.loads.empty());

  s.session_path.clear();
  CHECK_FALSE(open_session_action(s, actions));
  CHECK(s.session_message == "cannot open session: type the path of a session file in the field, then Open");

  s.session_path = (dir / "mine.json").string();
  REQUIRE(open_session_action(s, actions));
  CHECK_FALSE(s.session_failed);
  CHECK(actions.loads.empty());  // the same folders as the slots hold
  std::filesystem::remove_all(dir);
}

TEST_CASE("Save and Open remember the session file; a recent one moved away is refused and says so") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_recent_session_actions";
  std::filesystem::remove_all(dir);
  UiState s = answered_state("Paris is 4721.");
  s.settings.export_dir = dir.string();
  const std::string a = (dir / "a.json").string(), b = (dir / "b.json").string();
  s.session_path = a;
  REQUIRE(save_session_action(s));
  s.session_path = b;
  REQUIRE(save_session_action(s));
  CHECK(s.settings.recent_sessions == std::vector<std::string>{b, a});
  s.session_path = (dir / "not_there.json").string();
  UiActions actions;
  CHECK_FALSE(open_session_action(s, actions));  // a file that cannot be opened is not remembered
  CHECK(s.settings.recent_sessions == std::vector<std::string>{b, a});

  REQUIRE(open_recent_session(s, actions, 1));  // a.json: opened, and first in the list now
  CHECK(s.session_path == a);
  CHECK(s.session_message == "opened session " + a + " (results are computed again)");
  CHECK(s.settings.recent_sessions == std::vector<std::string>{a, b});

  std::filesystem::remove(b);
  s.settings.prompt = "edited";
  CHECK_FALSE(open_recent_session(s, actions, 1));
  CHECK(s.session_failed);
  CHECK(s.session_message == "cannot open session " + b + ": the file is no longer there (moved or deleted); type "
                                                          "its new path in the field, then Open");
  CHECK(s.settings.prompt == "edited");
  CHECK(s.settings.recent_sessions == std::vector<std::string>{a, b});  // still listed, as missing
  CHECK_FALSE(open_recent_session(s, actions, 7));  // no such entry
  std::filesystem::remove_all(dir);
}
