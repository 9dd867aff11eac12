// The prompts the user ran last (most recent first, distinct, exact bytes), kept in settings.json: the list's rules and
// its JSON form. Plain functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace diffscope::ui {

class JsonFields;

constexpr size_t kMaxRecentPrompts = 10;
// A prompt longer than this is not remembered (the last prompt itself is still kept, in "prompt"): ten of them stay
// under ~1 MiB in settings.json (under 4 MiB even if every byte needed a \u escape), far below the reader's 16 MiB
// limit, and the file is read at every start.
constexpr size_t kMaxRecentPromptBytes = 64 * 1024;

// Puts `prompt` first, removing an earlier copy (the same bytes), and keeps the kMaxRecentPrompts newest. False, with
// *recent unchanged, for an empty prompt, one over kMaxRecentPromptBytes, or one already first.
bool remember_prompt(std::vector<std::string>* recent, const std::string& prompt);

// As settings.json holds them: an array, each prompt a JSON string when its bytes are UTF-8 (NUL and controls
// escaped by JSON) or {"base64": "..."} when they are not.
nlohmann::json recent_prompts_json(const std::vector<std::string>& recent);
// Reads "recent_prompts" from `fields` into *recent (replacing it when the field is there). Lenient readers skip an
// entry of another form, an oversize one, duplicates and entries past kMaxRecentPrompts; strict ones record the first
// problem (json_fields.h).
void read_recent_prompts(JsonFields& fields, std::vector<std::string>* recent);

}  // namespace diffscope::ui
