// Recent session files: list rules, JSON form, entries as listed. Any thread.
#include "recent_sessions.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base64.h"
#include "hf_tokenizer_utf8.h"
#include "json_fields.h"

namespace diffscope::ui {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kKey = "recent_sessions";

bool is_utf8(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    bool valid = false;
    i += utf8::next_unit(bytes, i, valid);
    if (!valid) return false;
  }
  return true;
}

}  // namespace

std::string recent_session_key(const std::string& path) {
  if (path.empty()) return {};
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) return {};
  return absolute.lexically_normal().string();
}

bool remember_session(std::vector<std::string>* recent, const std::string& path) {
  const std::string key = recent_session_key(path);
  if (key.empty() || key.size() > kMaxSessionPathBytes) return false;
  if (!recent->empty() && recent->front() == key) return false;
  recent->erase(std::remove(recent->begin(), recent->end(), key), recent->end());
  recent->insert(recent->begin(), key);
  if (recent->size() > kMaxRecentSessions) recent->resize(kMaxRecentSessions);
  return true;
}

json recent_sessions_json(const std::vector<std::string>& recent) {
  json list = json::array();
  for (const std::string& path : recent) {
    if (is_utf8(path)) list.push_back(path);
    else list.push_back({{"base64", base64_encode(path)}});
  }
  return list;
}

void read_recent_sessions(JsonFields& f, std::vector<std::string>* recent) {
  const json* v = f.find(kKey);
  if (v == nullptr) return;
  if (!v->is_array()) {
    f.wrong(kKey, "an array of session file paths", *v);
    return;
  }
  const std::string what = "a list of session file paths: strings, or {\"base64\": ...} for bytes that are not "
                           "UTF-8, each at most " + std::to_string(kMaxSessionPathBytes) + " bytes";
  std::vector<std::string> read;
  for (const json& entry : *v) {
    std::optional<std::string> path;
    if (entry.is_string()) {
      path = entry.get<std::string>();
    } else if (entry.is_object() && entry.size() == 1 && entry.contains("base64") && entry["base64"].is_string()) {
      path = base64_decode(entry["base64"].get<std::string>());
    }
    if (!path || path->empty() || path->size() > kMaxSessionPathBytes || path->find('\0') != std::string::npos) {
      f.wrong(kKey, what, entry);  // names the entry, not the whole list
      if (f.strict()) return;
      continue;
    }
    if (std::find(read.begin(), read.end(), *path) == read.end() && read.size() < kMaxRecentSessions) {
      read.push_back(std::move(*path));
    }
  }
  *recent = std::move(read);
}

std::vector<RecentSessionEntry> recent_session_entries(const std::vector<std::string>& recent) {
  std::vector<RecentSessionEntry> entries;
  entries.reserve(recent.size());
  for (const std::string& path : recent) {
    RecentSessionEntry e;
    e.path = path;
    std::error_code ec;
    e.exists = fs::is_regular_file(fs::path(path), ec);
    const fs::path p(path);
    e.label = p.filename().string();
    if (p.has_parent_path()) e.label += " - " + p.parent_path().string();
    if (!e.exists) e.label += " (missing)";
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace diffscope::ui
