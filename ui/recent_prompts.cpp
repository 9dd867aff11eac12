// Recent prompts: list rules and JSON form. Any thread.
#include "recent_prompts.h"

#include "json_fields.h"
#include "recent_list.h"

namespace diffscope::ui {

namespace {

constexpr RecentListRules kRules{"recent_prompts", kMaxRecentPrompts, kMaxRecentPromptBytes, "prompts", true};

}  // namespace

bool remember_prompt(std::vector<std::string>* recent, const std::string& prompt) {
  return remember_recent(recent, prompt, kRules);
}

nlohmann::json recent_prompts_json(const std::vector<std::string>& recent) { return recent_list_json(recent); }

void read_recent_prompts(JsonFields& f, std::vector<std::string>* recent) { read_recent_list(f, kRules, recent); }

}  // namespace diffscope::ui
