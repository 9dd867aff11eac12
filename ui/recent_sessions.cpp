// Recent session files: list rules, JSON form, entries as listed. Any thread.
#include "recent_sessions.h"

#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "json_fields.h"
#include "recent_list.h"

namespace diffscope::ui {

namespace {

namespace fs = std::filesystem;

constexpr RecentListRules kRules{"recent_sessions", kMaxRecentSessions, kMaxSessionPathBytes, "session file paths",
                                 false};

}  // namespace

std::string recent_session_key(const std::string& path) {
  if (path.empty()) return {};
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) return {};
  return absolute.lexically_normal().string();
}

bool remember_session(std::vector<std::string>* recent, const std::string& path) {
  return remember_recent(recent, recent_session_key(path), kRules);
}

nlohmann::json recent_sessions_json(const std::vector<std::string>& recent) { return recent_list_json(recent); }

void read_recent_sessions(JsonFields& f, std::vector<std::string>* recent) { read_recent_list(f, kRules, recent); }

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
