// What the recent prompts and the recent session files share: a most-recent-first list of distinct byte strings with
// a cap, and its JSON form in settings.json (UTF-8 strings, {"base64": ...} for other bytes). Plain functions; any
// thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace diffscope::ui {

class JsonFields;

// The rules of one list: its settings.json key, how many entries it keeps, how long one may be, and what its entries
// are called in the reader's messages ("prompts": "must be an array of prompts", "must be a list of prompts: ...").
struct RecentListRules {
  const char* key;
  size_t max_entries;
  size_t max_bytes;
  const char* noun;
  bool allow_nul;  // whether an entry may hold a NUL byte (a prompt may; a path may not)
};

// Puts `item` first, removing an earlier copy, and keeps the rules' max_entries newest. False, with *recent unchanged,
// for an empty item, one over max_bytes, or one already first.
bool remember_recent(std::vector<std::string>* recent, const std::string& item, const RecentListRules& rules);
// The list as settings.json holds it.
nlohmann::json recent_list_json(const std::vector<std::string>& recent);
// Reads the rules' key from `fields` into *recent (replacing it when the field is there). Lenient readers skip an entry
// of another form, an empty or oversize one, duplicates and entries past max_entries; strict ones record the first
// problem (json_fields.h).
void read_recent_list(JsonFields& fields, const RecentListRules& rules, std::vector<std::string>* recent);

}  // namespace diffscope::ui
