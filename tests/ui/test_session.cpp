// Session files (ui/session.h): every field survives a round trip (exotic prompt bytes, a 32K-token view), each kind of
// bad file is refused with a message naming what is wrong and leaves the session untouched, a newer format is
// refused, unknown fields are ignored, files are written atomically and named like exports. Test thread.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "json_limits.h"
#include "session.h"

using namespace diffscope;
using namespace diffscope::ui;

namespace {

// A session in which every field differs from its default.
Session full_session() {
  Session s;
  Settings& t = s.settings;
  t.model_a = "/models/diff 1B";
  t.model_b = "relative/standard";
  // TAB, CR, LF, NUL, U+1F600 (above U+FFFF), U+202E (right-to-left override), Hebrew shin: all valid UTF-8.
  static const char kPrompt[] = "Paris\t\r\n\0 is 4721 \xF0\x9F\x98\x80 \xE2\x80\xAE \xD7\xA9?";
  t.prompt = std::string(kPrompt, sizeof kPrompt - 1);
  t.layout = Layout::Grid;
  t.selection = {5, 7};
  t.standard_head = 3;
  t.follow_diff_head = false;
  t.head_mean = true;
  t.decomposition_with_b = true;
  t.decomposition_raw_a2 = true;
  t.display.sequential = Colormap::Magma;
  t.display.diverging = Colormap::Viridis;
  t.display.mode = ColorScale::Mode::Log;
  t.display.gamma = 0.3f;
  t.display.log_floor = 1e-6f;
  t.display.hide_sink = false;
  t.display.row_normalize = true;
  t.display.shade_masked = false;
  t.display.grid_lines = false;
  t.display.shared_softmax_scale = false;
  t.export_dir = "/tmp/figures";
  t.figure_scale = 12;
  t.truncate = true;
  t.figure = FigureOptions{false, false, false, true};
  s.span = std::make_pair(int64_t{14}, int64_t{18});  // "4721": P a r i s TAB CR LF NUL ' ' i s ' ' = 14 bytes before
  s.rollout = true;
  s.grid_source = 2;
  s.focus = SessionFocus{1, 3, -1, "attention", true, true};
  s.view = SessionView{4.5, 10.25, 12.75, 40};
  return s;
}

void check_same(const Session& a, const Session& b) {
  const Settings &x = a.settings, &y = b.settings;
  CHECK(x.model_a == y.model_a);
  CHECK(x.model_b == y.model_b);
  CHECK(x.prompt == y.prompt);
  CHECK(x.layout == y.layout);
  CHECK(x.selection == y.selection);
  CHECK(x.standard_head == y.standard_head);
  CHECK(x.follow_diff_head == y.follow_diff_head);
  CHECK(x.head_mean == y.head_mean);
  CHECK(x.decomposition_with_b == y.decomposition_with_b);
  CHECK(x.decomposition_raw_a2 == y.decomposition_raw_a2);
  CHECK(x.display.sequential == y.display.sequential);
  CHECK(x.display.diverging == y.display.diverging);
  CHECK(x.display.mode == y.display.mode);
  CHECK(x.display.gamma == y.display.gamma);  // a float written as its double: exact
  CHECK(x.display.log_floor == y.display.log_floor);
  CHECK(x.display.hide_sink == y.display.hide_sink);
  CHECK(x.display.row_normalize == y.display.row_normalize);
  CHECK(x.display.shade_masked == y.display.shade_masked);
  CHECK(x.display.grid_lines == y.display.grid_lines);
  CHECK(x.display.shared_softmax_scale == y.display.shared_softmax_scale);
  CHECK(x.export_dir == y.export_dir);
  CHECK(x.figure_scale == y.figure_scale);
  CHECK(x.truncate == y.truncate);
  CHECK(x.figure == y.figure);
  CHECK(a.span == b.span);
  CHECK(a.rollout == b.rollout);
  CHECK(a.grid_source == b.grid_source);
  CHECK(a.focus == b.focus);
  CHECK(a.view == b.view);
}

// The reason a session text is refused ("" when it is accepted); the session passed in must be left as it was.
std::string refusal(const std::string& text) {
  Session s;
  s.settings.prompt = "untouched";
  s.settings.selection = {1, 1};
  std::string error;
  if (session_from_json(text, &s, &error)) return "";
  CHECK(s.settings.prompt == "untouched");
  CHECK(s.settings.selection == Selection{1, 1});
  CHECK_FALSE(error.empty());
  return error;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const char* name) : path(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace

TEST_CASE("every field of a session survives a round trip") {
  const Session s = full_session();
  const std::string json = session_to_json(s);
  CHECK(json.find("\"diffscope_session\": 1") != std::string::npos);
  CHECK(json.find("prompt_base64") == std::string::npos);  // valid UTF-8: a plain JSON string
  CHECK(json.find("stats_height") == std::string::npos);    // the window's, not the session's
  Session back;
  std::string error;
  REQUIRE(session_from_json(json, &back, &error));
  check_same(s, back);
}

TEST_CASE("a prompt whose bytes are not UTF-8 is kept exactly, in base64") {
  Session s = full_session();
  s.settings.prompt = "a\xFF" "b\xF0\x9F\x98";  // a stray byte and an emoji cut after 3 of its 4 bytes
  s.span = std::make_pair(int64_t{1}, int64_t{2});  // the stray byte alone
  const std::string json = session_to_json(s);
  // 61 FF 62 | F0 9F 98 in 6-bit groups: 011000 011111 111101 100010 | 111100 001001 111110 011000 = Y f 9 i 8 J + Y.
  CHECK(json.find("\"prompt_base64\": \"Yf9i8J+Y\"") != std::string::npos);
  Session back;
  std::string error;
  REQUIRE(session_from_json(json, &back, &error));
  CHECK(back.settings.prompt == s.settings.prompt);
  CHECK(back.span == s.span);
}

TEST_CASE("a 32K-token view comes back as the same region, in token units") {
  Session s;
  s.settings.prompt = std::string(100000, 'x');  // ~32K tokens of a BPE tokenizer
  s.span = std::make_pair(int64_t{99990}, int64_t{100000});
  // Zoomed to the limit on the last rows: 32768 / 512 = 64 tokens a side, centred near the end, between tokens.
  s.view = SessionView{512.0, 32735.5, 32740.25, 32768};
  Session back;
  std::string error;
  REQUIRE(session_from_json(session_to_json(s), &back, &error));
  REQUIRE(back.view);
  CHECK(back.view->zoom == 512.0);
  CHECK(back.view->center_x == 32735.5);
  CHECK(back.view->center_y == 32740.25);
  CHECK(back.view->tokens == 32768);
  CHECK(back.span == s.span);
  CHECK(back.settings.prompt.size() == 100000);
}

TEST_CASE("missing fields take their defaults; unknown fields are ignored without an error") {
  Session s;
  std::string error;
  REQUIRE(session_from_json(R"({"diffscope_session": 1, "prompt": "hi", "written_by": "a future DiffScope",
                                "future": {"nested": [1, 2, {"x": null}]}, "stats_height": 10,
                                "display": {"sparkles": true}, "view": {"zoom": 2, "tilt": 45}})",
                            &s, &error));
  CHECK(s.settings.prompt == "hi");
  CHECK(s.settings.layout == Layout::Decomposition);
  CHECK(s.settings.figure_scale == 8);
  CHECK(s.settings.model_a.empty());  // no folder: opening leaves the slot as it is
  CHECK_FALSE(s.span);
  CHECK_FALSE(s.focus);
  REQUIRE(s.view);
  CHECK(s.view->zoom == 2.0);
  CHECK(s.view->center_x == 0.0);
}

TEST_CASE("a session from a newer DiffScope is refused, saying so") {
  CHECK(refusal(R"({"diffscope_session": 2, "prompt": "hi"})") ==
        "it was written by a newer DiffScope (session format 2; this version reads format 1 and older): open it with "
        "a newer DiffScope");
  CHECK(refusal(R"({"diffscope_session": 18446744073709551615})").find("session format 18446744073709551615;") !=
        std::string::npos);
  CHECK(refusal(R"({"diffscope_session": 0})") ==
        "\"diffscope_session\" (the format version) must be a whole number, 1 or more, got 0");
  CHECK(refusal(R"({"diffscope_session": "1"})") ==
        "\"diffscope_session\" (the format version) must be a whole number, 1 or more, got \"1\"");
  CHECK(refusal(R"({"diffscope_session": 1.5})") ==
        "\"diffscope_session\" (the format version) must be a whole number, 1 or more, got 1.5");
}

TEST_CASE("each kind of bad session file is refused with a message naming what is wrong") {
  SECTION("not JSON, not an object, not a session") {
    CHECK(refusal("{\"diffscope_session\": 1, \"prompt\": \"half writ").find("not valid JSON") == 0);
    CHECK(refusal("[1, 2]") == "not a DiffScope session (the file is not a JSON object)");
    CHECK(refusal("{}") == "not a DiffScope session (it has no \"diffscope_session\" format version)");
    // settings.json is not a session, though it has most of the same fields.
    CHECK(refusal(settings_to_json(Settings{})) ==
          "not a DiffScope session (it has no \"diffscope_session\" format version)");
    CHECK(refusal("").find("not valid JSON") == 0);
  }
  SECTION("limits: nesting and size, as for config.json") {
    const std::string deep = "{\"diffscope_session\": 1, \"future\": " + std::string(100, '[') +
                             std::string(100, ']') + "}";
    CHECK(refusal(deep).find("JSON nested deeper than 64 levels") == 0);
    const std::string huge = "{\"diffscope_session\": 1, \"prompt\": \"" + std::string(kMaxConfigJsonBytes, 'x') +
                             "\"}";
    CHECK(refusal(huge).find("more than the 16 MiB") != std::string::npos);
  }
  SECTION("wrong types, named") {
    CHECK(refusal(R"({"diffscope_session": 1, "layer": "three"})") ==
          "\"layer\" must be a whole number from 0 to 65535, got \"three\"");
    CHECK(refusal(R"({"diffscope_session": 1, "layer": 2.5})") ==
          "\"layer\" must be a whole number from 0 to 65535, got 2.5");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": 42})") == "\"prompt\" must be a string, got 42");
    CHECK(refusal(R"({"diffscope_session": 1, "truncate": "yes"})") ==
          "\"truncate\" must be true or false, got \"yes\"");
    CHECK(refusal(R"({"diffscope_session": 1, "display": 3})") == "\"display\" must be an object, got 3");
    CHECK(refusal(R"({"diffscope_session": 1, "display": {"gamma": "high"}})") ==
          "\"display.gamma\" must be a number from 0.01 to 100, got \"high\"");
    CHECK(refusal(R"({"diffscope_session": 1, "model_a": ["a", "b"]})") ==
          "\"model_a\" must be a string, got an array of 2");
    CHECK(refusal(R"({"diffscope_session": 1, "view": [1, 2]})") == "\"view\" must be an object, got an array of 2");
    CHECK(refusal(R"({"diffscope_session": 1, "figure": {"prompt": "yes"}})") ==
          "\"figure.prompt\" must be true or false, got \"yes\"");
    CHECK(refusal(R"({"diffscope_session": 1, "ui_scale": 3})") ==
          "\"ui_scale\" must be a number from 0.75 to 2, got 3");
    CHECK(refusal(R"({"diffscope_session": 1, "figure": true})") == "\"figure\" must be an object, got true");
    CHECK(refusal(R"({"diffscope_session": 1, "focus": {"slot": 0}})") ==
          "\"focus.slot\" must be one of \"A\", \"B\", got 0");
  }
  SECTION("names outside their set") {
    CHECK(refusal(R"({"diffscope_session": 1, "layout": "mosaic"})") ==
          "\"layout\" must be one of \"decomposition\", \"comparison\", \"grid\", got \"mosaic\"");
    CHECK(refusal(R"({"diffscope_session": 1, "display": {"sequential": "jet"}})") ==
          "\"display.sequential\" must be one of \"viridis\", \"magma\", \"rdbu\", got \"jet\"");
    CHECK(refusal(R"({"diffscope_session": 1, "display": {"scale": "sqrt"}})") ==
          "\"display.scale\" must be one of \"linear\", \"log\", \"gamma\", got \"sqrt\"");
    CHECK(refusal(R"({"diffscope_session": 1, "focus": {"map": "B1"}})") ==
          "\"focus.map\" must be one of \"A1\", \"A2\", \"lambda_A2\", \"D\", \"attention\", \"rollout\", got \"B1\"");
  }
  SECTION("numbers out of range (a cast of 8.9e40 to int is undefined behaviour)") {
    CHECK(refusal(R"({"diffscope_session": 1, "head": 88888888888888888888888884888888888888888})") ==
          "\"head\" must be a whole number from 0 to 65535, got 8.888888888888888e+40");  // the nearest double
    CHECK(refusal(R"({"diffscope_session": 1, "layer": -1})") ==
          "\"layer\" must be a whole number from 0 to 65535, got -1");
    CHECK(refusal(R"({"diffscope_session": 1, "figure_scale": 0})") ==
          "\"figure_scale\" must be a whole number from 1 to 32, got 0");
    CHECK(refusal(R"({"diffscope_session": 1, "grid_source": 4})") ==
          "\"grid_source\" must be a whole number from 0 to 3, got 4");
    CHECK(refusal(R"({"diffscope_session": 1, "display": {"gamma": 1e300}})") ==
          "\"display.gamma\" must be a number from 0.01 to 100, got 1e+300");
    CHECK(refusal(R"({"diffscope_session": 1, "view": {"zoom": 0.5}})") ==
          "\"view.zoom\" must be a number from 1 to 512, got 0.5");
    CHECK(refusal(R"({"diffscope_session": 1, "view": {"center_x": -1e13}})") ==
          "\"view.center_x\" must be a number from -1e+12 to 1e+12, got -10000000000000.0");
    CHECK(refusal(R"({"diffscope_session": 1, "focus": {"head": -2}})") ==
          "\"focus.head\" must be a whole number from -1 to 65535, got -2");
    CHECK(refusal("{\"diffscope_session\": 1, \"layer\": 1e999}").find("not valid JSON") == 0);
  }
  SECTION("a span outside the prompt, or not a pair of offsets") {
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": [1, 9]})") ==
          "\"span\" must be [begin, end] with 0 <= begin < end <= 3 (the prompt's bytes), got [1,9]");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": [2, 2]})") ==
          "\"span\" must be [begin, end] with 0 <= begin < end <= 3 (the prompt's bytes), got [2,2]");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": [-1, 2]})") ==
          "\"span\" must be [begin, end] with 0 <= begin < end <= 3 (the prompt's bytes), got [-1,2]");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": [0, 18446744073709551615]})") ==
          "\"span\" must be [begin, end] with 0 <= begin < end <= 3 (the prompt's bytes), got "
          "[0,18446744073709551615]");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": "1-2"})") ==
          "\"span\" must be null or [begin, end] (byte offsets in the prompt), got \"1-2\"");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "abc", "span": [1]})") ==
          "\"span\" must be null or [begin, end] (byte offsets in the prompt), got an array of 1");
  }
  SECTION("a prompt_base64 that is not base64") {
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "a", "prompt_base64": "Yf9i8J+"})") ==
          "\"prompt_base64\" is not valid base64 (RFC 4648, padded)");
    CHECK(refusal(R"({"diffscope_session": 1, "prompt": "a", "prompt_base64": 7})") ==
          "\"prompt_base64\" must be a string, got 7");
  }
}

TEST_CASE("a hand edit of a session's prompt wins over a stale base64 copy") {
  Session s;
  std::string error;
  REQUIRE(session_from_json(R"({"diffscope_session": 1, "prompt": "edited", "prompt_base64": "Yf9i8J+Y"})", &s,
                            &error));
  CHECK(s.settings.prompt == "edited");
}

TEST_CASE("session files: saved atomically, opened with one clear line when they cannot be") {
  TempDir dir("diffscope_test_session_files");
  const Session s = full_session();
  std::string error;
  const std::string path = dir / "sub/study.json";
  REQUIRE(save_session(path, s, &error));  // creates its folder
  Session back;
  REQUIRE(load_session(path, &back, &error));
  check_same(s, back);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path / "sub")) {
    CHECK(entry.path().filename() == "study.json");  // no temporary file left beside it
  }

  CHECK_FALSE(load_session(dir / "none.json", &back, &error));
  CHECK(error == "cannot open session " + (dir / "none.json") + ": no such file");
  CHECK_FALSE(load_session(dir.path.string(), &back, &error));
  CHECK(error == "cannot open session " + dir.path.string() + ": not a regular file");
  std::ofstream(dir / "bad.json") << R"({"diffscope_session": 1, "layer": "three"})";
  CHECK_FALSE(load_session(dir / "bad.json", &back, &error));
  CHECK(error == "cannot open session " + (dir / "bad.json") +
                     ": \"layer\" must be a whole number from 0 to 65535, got \"three\"");
  check_same(s, back);  // the failed opens changed nothing

  CHECK_FALSE(save_session("/proc/diffscope/s.json", s, &error));
  CHECK(error.find("cannot save session to /proc/diffscope/s.json: ") == 0);
  std::filesystem::create_directories(dir.path / "folder.json");
  CHECK_FALSE(save_session(dir / "folder.json", s, &error));
  CHECK(error == "cannot save session to " + (dir / "folder.json") + ": Is a directory");
  CHECK(std::filesystem::is_directory(dir.path / "folder.json"));

  // Overwriting keeps the file whole: the old session is replaced by the new one, never mixed.
  Session other;
  other.settings.prompt = "second";
  REQUIRE(save_session(path, other, &error));
  REQUIRE(load_session(path, &back, &error));
  CHECK(back.settings.prompt == "second");
  CHECK(read_text(path).back() == '\n');
}

TEST_CASE("a session path that is a FIFO is refused without blocking (issue 12)") {
  TempDir dir("diffscope_test_session_fifo");
  const std::string fifo = dir / "session.json";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // In a child with an alarm: a reader that opened the FIFO would block until a writer came and hang the test.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(10);
    Session s;
    std::string error;
    const bool opened = load_session(fifo, &s, &error);
    _exit(!opened && error == "cannot open session " + fifo + ": not a regular file" ? 3 : 4);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
}

TEST_CASE("the default session name is diffscope_session.json in the export folder, numbered like exports") {
  TempDir dir("diffscope_test_session_default");
  CHECK(default_session_path("") == "./diffscope_session.json");
  CHECK(default_session_path(dir.path.string()) == dir / "diffscope_session.json");
  std::ofstream(dir / "diffscope_session.json") << "{}";
  CHECK(default_session_path(dir.path.string()) == dir / "diffscope_session_2.json");
}

TEST_CASE("a session's settings replace the current ones but for folders it leaves empty and the panel height") {
  Settings current;
  current.model_a = "/loaded/a";
  current.model_b = "/loaded/b";
  current.stats_height = 420;
  current.ui_scale = 1.5f;
  current.prompt = "old";
  Session s;
  s.settings.model_b = "/session/b";
  s.settings.prompt = "new";
  s.settings.stats_height = 100;
  s.settings.ui_scale = 0.75f;
  const Settings merged = settings_with_session(current, s);
  CHECK(merged.model_a == "/loaded/a");
  CHECK(merged.model_b == "/session/b");
  CHECK(merged.prompt == "new");
  CHECK(merged.stats_height == 420);
  CHECK(merged.ui_scale == 1.5f);  // the window's size, as the panel height: not the session's
  CHECK(session_to_json(s).find("ui_scale") == std::string::npos);
}

TEST_CASE("values typed past a slider's range are saved within the limits, so the session opens") {
  Session s;
  s.settings.prompt = "abc";
  s.settings.figure_scale = 100;             // Ctrl+click on the figure slider (1..32)
  s.settings.display.gamma = 0.001f;         // below kMinGamma
  s.settings.display.log_floor = std::nanf("");
  s.settings.selection = {-1, 70000};
  s.grid_source = 9;
  s.span = std::make_pair(int64_t{1}, int64_t{4});  // past the prompt's 3 bytes: dropped
  s.focus = SessionFocus{2, -5, -3, "sparkle", false, false};
  s.view = SessionView{0.5, std::nan(""), -1e15, -1};
  const Session limited = within_limits(s);
  CHECK(limited.settings.figure_scale == 32);
  CHECK(limited.settings.display.gamma == 0.01f);
  CHECK(limited.settings.display.log_floor == DisplaySettings{}.log_floor);
  CHECK(limited.settings.selection == Selection{0, 65535});
  CHECK(limited.grid_source == 3);
  CHECK_FALSE(limited.span);
  CHECK(limited.focus == SessionFocus{1, 0, -1, "D", false, false});
  CHECK(limited.view == SessionView{1.0, 0.0, -1e12, 0});
  Session back;
  std::string error;
  CHECK(session_from_json(session_to_json(limited), &back, &error));
  CHECK(error.empty());
  CHECK(back.settings.display.gamma == 0.01f);  // the float bound itself reads back (0.01f < 0.01)
}
