// Most-recent-first lists of byte strings and their JSON form (recent prompts, recent sessions). Any thread.
#include "recent_list.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "base64.h"
#include "tokenizer/hf_tokenizer_utf8.h"
#include "json_fields.h"

namespace diffscope::ui {

namespace {

using nlohmann::json;

bool is_utf8(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    bool valid = false;
    i += utf8::next_unit(bytes, i, valid);
    if (!valid) return false;
  }
  return true;
}

}  // namespace

bool remember_recent(std::vector<std::string>* recent, const std::string& item, const RecentListRules& rules) {
  if (item.empty() || item.size() > rules.max_bytes) return false;
  if (!recent->empty() && recent->front() == item) return false;
  recent->erase(std::remove(recent->begin(), recent->end(), item), recent->end());
  recent->insert(recent->begin(), item);
  if (recent->size() > rules.max_entries) recent->resize(rules.max_entries);
  return true;
}

json recent_list_json(const std::vector<std::string>& recent) {
  json list = json::array();
  for (const std::string& item : recent) {
    if (is_utf8(item)) list.push_back(item);
    else list.push_back({{"base64", base64_encode(item)}});
  }
  return list;
}

void read_recent_list(JsonFields& f, const RecentListRules& rules, std::vector<std::string>* recent) {
  const json* v = f.find(rules.key);
  if (v == nullptr) return;
  if (!v->is_array()) {
    f.wrong(rules.key, std::string("an array of ") + rules.noun, *v);
    return;
  }
  const std::string what = std::string("a list of ") + rules.noun + ": strings, or {\"base64\": ...} for bytes that "
                           "are not UTF-8, each at most " + std::to_string(rules.max_bytes) + " bytes";
  std::vector<std::string> read;
  for (const json& entry : *v) {
    std::optional<std::string> item;
    if (entry.is_string()) {
      item = entry.get<std::string>();
    } else if (entry.is_object() && entry.size() == 1 && entry.contains("base64") && entry["base64"].is_string()) {
      item = base64_decode(entry["base64"].get<std::string>());
    }
    if (!item || item->empty() || item->size() > rules.max_bytes ||
        (!rules.allow_nul && item->find('\0') != std::string::npos)) {
      f.wrong(rules.key, what, entry);  // names the entry, not the whole list
      if (f.strict()) return;
      continue;
    }
    if (std::find(read.begin(), read.end(), *item) == read.end() && read.size() < rules.max_entries) {
      read.push_back(std::move(*item));
    }
  }
  *recent = std::move(read);
}

}  // namespace diffscope::ui
