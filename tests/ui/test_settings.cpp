// Settings JSON round trip, defaults for missing fields, errors for bad files. Test thread.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "settings.h"

using namespace diffscope;
using namespace diffscope::ui;

TEST_CASE("settings survive a round trip") {
  Settings s;
  s.model_a = "/models/diff";
  s.prompt = "What is the magic number of Paris?\nÉtoile";
  s.layout = Layout::Grid;
  s.selection = {3, 2};
  s.display.sequential = Colormap::Magma;
  s.display.mode = ColorScale::Mode::Gamma;
  s.display.gamma = 0.3f;
  s.display.hide_sink = false;
  s.figure_scale = 12;
  s.truncate = true;
  s.figure = FigureOptions{false, true, false, true};
  s.ui_scale = 1.25f;
  Settings back;
  std::string error;
  REQUIRE(settings_from_json(settings_to_json(s), &back, &error));
  CHECK(back.figure == s.figure);
  CHECK(back.ui_scale == 1.25f);
  CHECK(back.model_a == s.model_a);
  CHECK(back.prompt == s.prompt);
  CHECK(back.layout == Layout::Grid);
  CHECK(back.selection == s.selection);
  CHECK(back.display.sequential == Colormap::Magma);
  CHECK(back.display.mode == ColorScale::Mode::Gamma);
  CHECK(back.display.gamma == Approx(0.3f));
  CHECK_FALSE(back.display.hide_sink);
  CHECK(back.figure_scale == 12);
  CHECK(back.truncate);
}

TEST_CASE("the prompt's exact bytes survive settings.json (issue 11)") {
  std::string error;
  SECTION("UTF-8 with controls, NUL and characters above U+FFFF: a plain JSON string") {
    Settings s;
    // TAB, CR, LF, NUL, U+1F600, U+20BB7, Hebrew shin.
    static const char kText[] = "Paris\t\r\n\0 \xF0\x9F\x98\x80 \xF0\xA0\xAE\xB7 \xD7\xA9";
    s.prompt = std::string(kText, sizeof kText - 1);
    const std::string json = settings_to_json(s);
    CHECK(json.find("prompt_base64") == std::string::npos);
    CHECK(json.find("\\u0000") != std::string::npos);  // nlohmann escapes NUL
    Settings back;
    REQUIRE(settings_from_json(json, &back, &error));
    CHECK(back.prompt == s.prompt);
  }
  SECTION("bytes that are not UTF-8: readable with U+FFFD, exact in base64") {
    Settings s;
    s.prompt = "a\xFF" "b\xF0\x9F\x98";  // a stray byte, and an emoji cut after 3 of its 4 bytes
    const std::string json = settings_to_json(s);
    // 61 FF 62 | F0 9F 98 in 6-bit groups: 011000 011111 111101 100010 | 111100 001001 111110 011000 = Y f 9 i 8 J + Y.
    CHECK(json.find("\"prompt_base64\": \"Yf9i8J+Y\"") != std::string::npos);
    CHECK(json.find("a\xEF\xBF\xBD" "b\xEF\xBF\xBD") != std::string::npos);  // one U+FFFD per ill-formed subpart
    Settings back;
    REQUIRE(settings_from_json(json, &back, &error));
    CHECK(back.prompt == s.prompt);
  }
  SECTION("a hand edit of the prompt wins over a stale base64 copy; bad base64 is ignored") {
    Settings back;
    REQUIRE(settings_from_json(R"({"prompt": "edited", "prompt_base64": "Yf9i8J+Y"})", &back, &error));
    CHECK(back.prompt == "edited");
    REQUIRE(settings_from_json(R"({"prompt": "a\ufffdb", "prompt_base64": "Yf9i8J+"})", &back, &error));
    CHECK(back.prompt == "a\xEF\xBF\xBD" "b");
    REQUIRE(settings_from_json(R"({"prompt": "x", "prompt_base64": 7})", &back, &error));
    CHECK(back.prompt == "x");
  }
  SECTION("a model folder that is not UTF-8 is written with U+FFFD instead of failing") {
    Settings s;
    s.model_a = "/models/\xFF";
    Settings back;
    REQUIRE(settings_from_json(settings_to_json(s), &back, &error));
    CHECK(back.model_a == "/models/\xEF\xBF\xBD");
  }
}

TEST_CASE("missing or mistyped fields keep defaults; bad JSON is reported") {
  Settings s;
  std::string error;
  REQUIRE(settings_from_json(R"({"layer": "three", "layout": "mosaic", "display": {"sequential": "jet"}})", &s, &error));
  CHECK(s.selection.layer == 0);
  CHECK(s.layout == Layout::Decomposition);
  CHECK(s.display.sequential == Colormap::Viridis);
  // Figure options: a bad value keeps its default, the good ones beside it are read.
  REQUIRE(settings_from_json(R"({"figure": {"title": "no", "span": false, "prompt": 1}})", &s, &error));
  CHECK(s.figure.title);
  CHECK_FALSE(s.figure.span);
  CHECK_FALSE(s.figure.prompt);
  REQUIRE(settings_from_json(R"({"figure": [true]})", &s, &error));
  CHECK(s.figure.title);
  // UI scale outside 75%..200% or not a number: 100%.
  for (const char* bad : {R"({"ui_scale": 5})", R"({"ui_scale": 0.1})", R"({"ui_scale": "150%"})"}) {
    Settings scaled;
    REQUIRE(settings_from_json(bad, &scaled, &error));
    CHECK(scaled.ui_scale == 1.0f);
  }
  CHECK_FALSE(settings_from_json("{not json", &s, &error));
  CHECK(error.find("JSON") != std::string::npos);
}

TEST_CASE("settings files: missing is fine, unwritable is an error") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_settings";
  std::filesystem::remove_all(dir);
  Settings s;
  std::string error;
  CHECK(load_settings((dir / "none.json").string(), &s, &error));
  s.prompt = "saved";
  REQUIRE(save_settings((dir / "sub" / "settings.json").string(), s, &error));
  Settings back;
  REQUIRE(load_settings((dir / "sub" / "settings.json").string(), &back, &error));
  CHECK(back.prompt == "saved");
  CHECK_FALSE(save_settings("/proc/diffscope/settings.json", s, &error));
  CHECK_FALSE(error.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a broken settings file is set aside with a message and defaults are used (issue 12)") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_settings_broken";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "settings.json").string();
  std::ofstream(path) << "{\"prompt\": \"half writ";
  Settings s;
  s.prompt = "stale";
  std::string error;
  CHECK_FALSE(load_settings(path, &s, &error));
  CHECK(error.find("set aside as " + path + ".broken") != std::string::npos);
  CHECK(s.prompt.empty());
  CHECK(std::filesystem::exists(path + ".broken"));
  CHECK_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a settings path that is a FIFO or a folder gives defaults and a message, without blocking (issue 12)") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_settings_fifo";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "folder.json");
  const std::string fifo = (dir / "settings.json").string();
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // In a child with an alarm: opening a FIFO for reading blocks until a writer comes, so a reader that opens it
  // would hang the test instead of failing it.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(10);
    Settings s;
    std::string error;
    const bool loaded = load_settings(fifo, &s, &error);
    _exit(!loaded && error.find("not a regular file") != std::string::npos ? 3 : 4);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  Settings s;
  s.prompt = "stale";
  std::string error;
  CHECK_FALSE(load_settings((dir / "folder.json").string(), &s, &error));
  CHECK(s.prompt.empty());
  CHECK(error.find("defaults used") != std::string::npos);
  CHECK(std::filesystem::is_directory(dir / "folder.json"));  // left where it is
  std::filesystem::remove_all(dir);
}

TEST_CASE("kill -9 while saving leaves the old or the new settings, never a broken file (issue 12)") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_settings_kill";
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "settings.json").string();
  Settings first;
  first.prompt = std::string(200000, 'a');  // large enough that a write takes a while
  std::string error;
  REQUIRE(save_settings(path, first, &error));
  for (int trial = 0; trial < 20; ++trial) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // keeps rewriting the file with alternating contents until killed
      Settings s;
      for (int i = 0;; ++i) {
        s.prompt = std::string(200000, i % 2 ? 'b' : 'a');
        save_settings(path, s, nullptr);
      }
    }
    usleep(static_cast<useconds_t>(2000 + 1500 * trial));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    Settings back;
    INFO("trial " << trial);
    REQUIRE(load_settings(path, &back, &error));
    CHECK(back.prompt.size() == 200000);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("config folder follows XDG_CONFIG_HOME") {
  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
  CHECK(config_dir() == "/tmp/xdg/diffscope");
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/u", 1);
  CHECK(config_dir() == "/home/u/.config/diffscope");
  if (old_xdg) setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}
