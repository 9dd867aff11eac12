// The session files the user opened or saved last (most recent first, distinct absolute paths, at most 10), kept in
// settings.json as "recent_sessions" like the recent prompts (recent_prompts.h): the list's rules, its JSON form,
// and what the side panel shows of each entry (a file that is no longer there is listed as missing). Plain
// functions (the file system is only asked whether a file exists); any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace diffscope::ui {

class JsonFields;

constexpr size_t kMaxRecentSessions = 10;
constexpr size_t kMaxSessionPathBytes = 4096;  // PATH_MAX: a longer entry in settings.json is not a path

// `path` as the list keeps it: absolute and lexically normal ("a/../b.json" in /home/u: /home/u/b.json); empty when
// it cannot be made absolute.
std::string recent_session_key(const std::string& path);
// Puts `path` (made absolute) first, removing an earlier copy, and keeps the kMaxRecentSessions newest. False, with
// *recent unchanged, for an empty or oversize path or one already first.
bool remember_session(std::vector<std::string>* recent, const std::string& path);

// As settings.json holds them: an array of strings; a path whose bytes are not UTF-8 as {"base64": "..."}.
nlohmann::json recent_sessions_json(const std::vector<std::string>& recent);
// Reads "recent_sessions" from `fields` into *recent (replacing it when the field is there). Lenient readers skip an
// entry of another form, an empty or oversize one and duplicates, and keep the first kMaxRecentSessions; strict
// ones record the first problem (json_fields.h).
void read_recent_sessions(JsonFields& fields, std::vector<std::string>* recent);

// One line of the side panel's Recent sessions list.
struct RecentSessionEntry {
  std::string path;
  std::string label;    // "name.json - folder", or "name.json - folder (missing)"
  bool exists = false;  // a regular file is there (checked when the list is drawn: files come and go)
};
std::vector<RecentSessionEntry> recent_session_entries(const std::vector<std::string>& recent);

}  // namespace diffscope::ui
