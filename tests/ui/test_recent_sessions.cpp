// Recent session files (ui/recent_sessions.h): newest first, distinct absolute paths, at most 10; through
// settings.json (a path that is not UTF-8 as base64) but not through sessions; bad entries skipped by the lenient
// settings reader; a file no longer there listed as missing. Test thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "recent_sessions.h"
#include "session.h"
#include "settings.h"

using namespace diffscope::ui;
namespace fs = std::filesystem;

TEST_CASE("recent sessions: newest first, absolute, distinct, at most 10") {
  std::vector<std::string> recent;
  CHECK(remember_session(&recent, "/data/a.json"));
  CHECK(remember_session(&recent, "/data/x/../b.json"));
  CHECK(recent == std::vector<std::string>{"/data/b.json", "/data/a.json"});
  CHECK_FALSE(remember_session(&recent, "/data/b.json"));  // already first
  CHECK(remember_session(&recent, "/data/a.json"));        // moves to the front, not added twice
  CHECK(recent == std::vector<std::string>{"/data/a.json", "/data/b.json"});
  CHECK_FALSE(remember_session(&recent, ""));
  CHECK_FALSE(remember_session(&recent, "/" + std::string(kMaxSessionPathBytes, 'a')));
  CHECK(remember_session(&recent, "relative.json"));
  CHECK(recent.front() == (fs::current_path() / "relative.json").lexically_normal().string());
  for (int i = 0; i < 20; ++i) remember_session(&recent, "/data/s" + std::to_string(i) + ".json");
  CHECK(recent.size() == kMaxRecentSessions);
  CHECK(recent.front() == "/data/s19.json");
  CHECK(recent.back() == "/data/s10.json");
}

TEST_CASE("recent sessions go through settings.json, not through sessions; bad entries are skipped") {
  Settings s;
  s.recent_sessions = {"/data/a.json", "/data/\xFF.json"};  // a byte that is not UTF-8 in a file name
  Settings back;
  std::string error;
  REQUIRE(settings_from_json(settings_to_json(s), &back, &error));
  CHECK(back.recent_sessions == s.recent_sessions);

  REQUIRE(settings_from_json(R"({"recent_sessions": ["/a.json", 7, "", {"base64": "L2IuanNvbg=="}, "/a.json"]})",
                             &back, &error));
  CHECK(back.recent_sessions == std::vector<std::string>{"/a.json", "/b.json"});
  Settings kept;
  kept.recent_sessions = {"/kept.json"};
  REQUIRE(settings_from_json(R"({"recent_sessions": "not a list"})", &kept, &error));
  CHECK(kept.recent_sessions == std::vector<std::string>{"/kept.json"});

  Session session;
  session.settings.recent_sessions = {"/a session's own.json"};
  CHECK(session_to_json(session).find("recent_sessions") == std::string::npos);
  Settings current;
  current.recent_sessions = {"/mine.json"};
  CHECK(settings_with_session(current, session).recent_sessions == current.recent_sessions);
}

TEST_CASE("a session file that is no longer there is listed as missing") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_recent_sessions";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "here.json") << "{}";
  const std::vector<RecentSessionEntry> entries =
      recent_session_entries({(dir / "here.json").string(), (dir / "gone.json").string(), dir.string()});
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].exists);
  CHECK(entries[0].label == "here.json - " + dir.string());
  CHECK_FALSE(entries[1].exists);
  CHECK(entries[1].label == "gone.json - " + dir.string() + " (missing)");
  CHECK_FALSE(entries[2].exists);  // a folder is no session file
  fs::remove_all(dir);
}
