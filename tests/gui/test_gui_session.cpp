// Sessions through the app (issue 11): a scripted run (--step) saves a session; the app started again with --session
// holds the same prompt bytes, span, layout, selection, rollout and view (--state-json), with results computed anew.
// A session that cannot be opened, or names a model folder that is not there, changes nothing it should not and says
// so. Runs the app headless on the tiny HF fixtures; needs a display: run under xvfb-run (skipped without one). Test
// thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope::testing;

namespace {

const std::string kFixtures = DIFFSCOPE_FIXTURES;
const std::string kModelA = kFixtures + "/hf/diffllama_gqa_tied";
const std::string kModelB = kFixtures + "/hf/llama_gqa_tied";

}  // namespace

TEST_CASE("a session saved from a scripted run opens with the same prompt bytes, span, layout, selection and view") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_session");
  const fs::path& out = folder.path();
  // A TAB, a byte that is not UTF-8, a NUL (only a file can carry it), an emoji above U+FFFF, CR LF: byte-level
  // fixture tokenizers make one token of each byte (no BOS): 24 tokens.
  static const char kPrompt[] = "Paris\t\xFF\0 \xF0\x9F\x98\x80 is 4721.\r\n";
  const std::string prompt(kPrompt, sizeof kPrompt - 1);
  std::ofstream(out / "prompt.bin", std::ios::binary) << prompt;
  const std::string session = (out / "study" / "paris.json").string();

  nlohmann::json saved;
  std::string text;
  REQUIRE(run_app(out, "save",
                  "--model " + kModelA + " --model-b " + kModelB + " --prompt-file " + (out / "prompt.bin").string() +
                      " --span 4721 --layout comparison --rollout --layer 1 --head 2 --step view=4,12.5,10 "
                      "--step save-session=" + session,
                  &saved, &text) == 0);
  CHECK(text.find("session: saved session to " + session) != std::string::npos);
  REQUIRE(fs::exists(session));
  CHECK(saved["prompt_hex"] == hex_bytes(prompt));
  // "4721" follows P a r i s TAB FF NUL ' ' + 4 emoji bytes + ' ' i s ' ': 17 bytes.
  CHECK(saved["span_bytes"] == nlohmann::json::array({17, 21}));
  CHECK(saved["view"]["zoom"] == 4.0);
  // What the file holds is what the UI held (the view as the maps drew it, clamped to the map).
  const nlohmann::json file = nlohmann::json::parse(read_file_text(session));
  CHECK(file == saved["session"]);
  CHECK(file["diffscope_session"] == 1);
  CHECK(file["prompt_base64"].is_string());  // not UTF-8: the exact bytes in base64
  CHECK(file["model_a"] == kModelA);

  nlohmann::json opened;
  REQUIRE(run_app(out, "open", "--session " + session, &opened) == 0);
  CHECK(opened["session_message"] == "opened session " + session + " (results are computed again)");
  CHECK(opened["session_pending"] == false);  // the view was applied once the results arrived
  CHECK(opened["prompt_hex"] == hex_bytes(prompt));
  CHECK(opened["span_bytes"] == nlohmann::json::array({17, 21}));
  CHECK(opened["layout"] == "comparison");
  CHECK(opened["rollout"] == true);
  CHECK(opened["layer"] == 1);
  CHECK(opened["head"] == 2);
  CHECK(opened["view"]["zoom"] == saved["view"]["zoom"]);
  CHECK(opened["view"]["center_x"].get<double>() == Approx(saved["view"]["center_x"].get<double>()));
  CHECK(opened["view"]["center_y"].get<double>() == Approx(saved["view"]["center_y"].get<double>()));
  CHECK(opened["view"]["tokens"] == 24);
  for (const char* slot : {"A", "B"}) {
    INFO("slot " << slot);
    CHECK(opened[slot]["result"] == "current");  // recomputed: sessions hold no results
    CHECK(opened[slot]["token_count"] == 24);
  }
  CHECK(opened["A"]["model_dir"] == kModelA);
  CHECK(opened["B"]["model_dir"] == kModelB);
  CHECK(opened["session"] == saved["session"]);  // every field, as Save would write it again
}

TEST_CASE("a session that cannot be opened changes nothing; one whose model folder is gone keeps the slot's model") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_session_bad");
  const fs::path& out = folder.path();
  const std::string bad = (out / "bad.json").string(), moved = (out / "moved.json").string();
  std::ofstream(bad) << R"({"diffscope_session": 1, "prompt": "Rome", "layer": "three"})";
  std::ofstream(moved) << R"({"diffscope_session": 1, "model_a": "/nonexistent/diff", "prompt": "Rome 2873.",
                              "layout": "grid"})";
  const std::string models = "--model " + kModelA + " --model-b " + kModelB;

  SECTION("a bad file through Open") {
    nlohmann::json state;
    REQUIRE(run_app(out, "bad", models + " --prompt 'Paris is 4721.' --step open-session=" + bad, &state) == 0);
    CHECK(state["session_failed"] == true);
    CHECK(state["session_message"] ==
          "cannot open session " + bad + ": \"layer\" must be a whole number from 0 to 65535, got \"three\"");
    CHECK(state["prompt_hex"] == hex_bytes("Paris is 4721."));
    CHECK(state["layout"] == "decomposition");
    CHECK(state["A"]["result"] == "current");
  }
  SECTION("a bad file through --session: the app starts as it would without it, and says why") {
    nlohmann::json state;
    REQUIRE(run_app(out, "bad_start", models + " --session " + bad, &state) == 0);
    CHECK(state["session_failed"] == true);
    CHECK(state["session_message"].get<std::string>().find("cannot open session " + bad + ": ") == 0);
    CHECK(state["A"]["result"] == "current");
  }
  SECTION("a model folder that is not there") {
    nlohmann::json state;
    REQUIRE(run_app(out, "moved", models + " --prompt 'Paris is 4721.' --step open-session=" + moved, &state) == 0);
    CHECK(state["session_failed"] == false);
    CHECK(state["A"]["model_dir"] == kModelA);
    const std::string note = state["A"]["note"];
    CHECK(note.find("not loaded: /nonexistent/diff") == 0);
    CHECK(note.find("(slot A keeps " + kModelA + ")") != std::string::npos);
    CHECK(state["prompt_hex"] == hex_bytes("Rome 2873."));  // the rest of the session is in place, and ran
    CHECK(state["layout"] == "grid");
    CHECK(state["A"]["result"] == "current");
    CHECK(state["A"]["token_count"] == 10);  // one token a byte
  }
  SECTION("--session with options it already holds is refused") {
    nlohmann::json state;
    CHECK(run_app(out, "both", "--session " + bad + " --prompt hi", &state) != 0);
  }
}

TEST_CASE("sessions saved and opened are listed in Recent sessions, newest first; choosing one opens it") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_recent_sessions");
  const fs::path& out = folder.path();
  const std::string a = (out / "a.json").string(), b = (out / "b.json").string();
  nlohmann::json state;
  std::string text;
  REQUIRE(run_app(out, "recent",
                  "--model " + kModelA + " --model-b " + kModelB + " --prompt 'Paris is 4721.' --step save-session=" +
                      a + " --step prompt=other --step save-session=" + b + " --step recent-session=1",
                  &state, &text) == 0);
  INFO(text);
  CHECK(state["session_message"] == "opened session " + a + " (results are computed again)");
  CHECK(state["recent_sessions"] == nlohmann::json::array({a, b}));
  CHECK(state["prompt_hex"] == hex_bytes("Paris is 4721."));  // a.json's prompt, not the "other" typed after it
}
