// Recent prompts: list rules and JSON form. Any thread.
#include "recent_prompts.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "base64.h"
#include "hf_tokenizer_utf8.h"
#include "json_fields.h"

namespace diffscope::ui {

namespace {

using nlohmann::json;

constexpr const char* kKey = "recent_prompts";

bool is_utf8(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    bool valid = false;
    i += utf8::next_unit(bytes, i, valid);
    if (!valid) return false;
  }
  return true;
}

}  // namespace

bool remember_prompt(std::vector<std::string>* recent, const std::string& prompt) {
  if (prompt.empty() || prompt.size() > kMaxRecentPromptBytes) return false;
  if (!recent->empty() && recent->front() == prompt) return false;
  recent->erase(std::remove(recent->begin(), recent->end(), prompt), recent->end());
  recent->insert(recent->begin(), prompt);
  if (recent->size() > kMaxRecentPrompts) recent->resize(kMaxRecentPrompts);
  return true;
}

json recent_prompts_json(const std::vector<std::string>& recent) {
  json list = json::array();
  for (const std::string& prompt : recent) {
    if (is_utf8(prompt)) list.push_back(prompt);
    else list.push_back({{"base64", base64_encode(prompt)}});
  }
  return list;
}

void read_recent_prompts(JsonFields& f, std::vector<std::string>* recent) {
  const json* v = f.find(kKey);
  if (v == nullptr) return;
  if (!v->is_array()) {
    f.wrong(kKey, "an array of prompts", *v);
    return;
  }
  const std::string what = "a list of prompts: strings, or {\"base64\": ...} for bytes that are not UTF-8, each at "
                           "most " + std::to_string(kMaxRecentPromptBytes) + " bytes";
  std::vector<std::string> read;
  for (const json& entry : *v) {
    std::optional<std::string> prompt;
    if (entry.is_string()) {
      prompt = entry.get<std::string>();
    } else if (entry.is_object() && entry.size() == 1 && entry.contains("base64") && entry["base64"].is_string()) {
      prompt = base64_decode(entry["base64"].get<std::string>());
    }
    if (!prompt || prompt->empty() || prompt->size() > kMaxRecentPromptBytes) {
      f.wrong(kKey, what, entry);  // names the entry, not the whole list
      if (f.strict()) return;
      continue;
    }
    if (std::find(read.begin(), read.end(), *prompt) == read.end() && read.size() < kMaxRecentPrompts) {
      read.push_back(std::move(*prompt));
    }
  }
  *recent = std::move(read);
}

}  // namespace diffscope::ui
