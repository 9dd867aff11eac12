// Recent prompts (ui/recent_prompts.h): newest first, distinct, at most ten, oversize prompts not kept, exact bytes
// (NUL, characters above U+FFFF, bytes that are not UTF-8) through settings.json; bad entries skipped by the lenient
// settings reader and refused by the strict session reader; sessions neither write nor take them. Test thread.
#include <catch2/catch.hpp>

#include "recent_prompts.h"
#include "session.h"
#include "settings.h"

using namespace diffscope::ui;

TEST_CASE("recent prompts: newest first, a prompt run again moves up, at most ten, none empty or oversize") {
  std::vector<std::string> recent;
  CHECK(remember_prompt(&recent, "a"));
  CHECK(remember_prompt(&recent, "b"));
  CHECK(remember_prompt(&recent, "c"));
  CHECK(recent == std::vector<std::string>{"c", "b", "a"});
  CHECK(remember_prompt(&recent, "a"));  // run again: first, once
  CHECK(recent == std::vector<std::string>{"a", "c", "b"});
  CHECK_FALSE(remember_prompt(&recent, "a"));  // already first
  CHECK_FALSE(remember_prompt(&recent, ""));
  CHECK_FALSE(remember_prompt(&recent, std::string(kMaxRecentPromptBytes + 1, 'x')));
  CHECK(remember_prompt(&recent, std::string(kMaxRecentPromptBytes, 'x')));
  CHECK(recent.size() == 4);
  for (int i = 0; i < 20; ++i) remember_prompt(&recent, "p" + std::to_string(i));
  REQUIRE(recent.size() == kMaxRecentPrompts);
  CHECK(recent.front() == "p19");
  CHECK(recent.back() == "p10");
  // Prompts that differ only in bytes an editor hides are distinct.
  std::vector<std::string> close;
  remember_prompt(&close, "a b");
  remember_prompt(&close, "a\tb");
  remember_prompt(&close, std::string("a\0b", 3));
  CHECK(close.size() == 3);
}

TEST_CASE("recent prompts keep their exact bytes through settings.json") {
  Settings s;
  static const char kNul[] = "Paris\0is\t4721\r\n";
  s.recent_prompts = {std::string(kNul, sizeof kNul - 1), "emoji \xF0\x9F\x98\x80 and \xF0\xA0\xAE\xB7",
                      "not UTF-8: \xFF\xFE and a cut emoji \xF0\x9F\x98", "plain"};
  const std::string json = settings_to_json(s);
  CHECK(json.find("\"base64\"") != std::string::npos);  // only the one that is not UTF-8
  Settings back;
  std::string error;
  REQUIRE(settings_from_json(json, &back, &error));
  CHECK(back.recent_prompts == s.recent_prompts);
}

TEST_CASE("bad recent prompts: skipped in settings.json, refused in a session; sessions do not carry them") {
  Settings s;
  std::string error;
  REQUIRE(settings_from_json(R"({"recent_prompts": ["ok", 7, {"base64": "!!"}, "", {"text": "x"}, "ok", "two"]})", &s,
                             &error));
  CHECK(s.recent_prompts == std::vector<std::string>{"ok", "two"});
  Settings kept;
  kept.recent_prompts = {"mine"};
  REQUIRE(settings_from_json(R"({"recent_prompts": "not a list"})", &kept, &error));
  CHECK(kept.recent_prompts == std::vector<std::string>{"mine"});
  std::string many = R"({"recent_prompts": [)";
  for (int i = 0; i < 30; ++i) many += (i ? ",\"p" : "\"p") + std::to_string(i) + "\"";
  REQUIRE(settings_from_json(many + "]}", &s, &error));
  CHECK(s.recent_prompts.size() == kMaxRecentPrompts);

  Session session;
  CHECK_FALSE(session_from_json(R"({"diffscope_session": 1, "recent_prompts": ["ok", 7]})", &session, &error));
  CHECK(error.find("\"recent_prompts\" must be a list of prompts") == 0);
  CHECK(error.find("got 7") != std::string::npos);
  CHECK_FALSE(session_from_json(R"({"diffscope_session": 1, "recent_prompts": {}})", &session, &error));
  CHECK(error == "\"recent_prompts\" must be an array of prompts, got an object of 0 fields");

  session.settings.recent_prompts = {"a session's own history"};
  CHECK(session_to_json(session).find("recent_prompts") == std::string::npos);
  Settings current;
  current.recent_prompts = {"the user's"};
  CHECK(settings_with_session(current, session).recent_prompts == current.recent_prompts);
}
