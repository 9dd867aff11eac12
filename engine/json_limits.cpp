// Size- and depth-limited JSON parsing for user-supplied config files (json_limits.h). Any thread.
#include "json_limits.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "errors.h"

namespace diffscope {
namespace {

// The deepest nesting of arrays and objects in `text`, counted outside strings; stops counting past `limit`.
int nesting_depth(const std::string& text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    else if (ch == '[' || ch == '{') deepest = std::max(deepest, ++depth);
    else if (ch == ']' || ch == '}') --depth;
    if (deepest > limit) break;
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_limited_json(const std::string& text, const std::string& source, size_t max_bytes) {
  if (text.size() > max_bytes) {
    throw FileError(source + ": " + std::to_string(text.size()) + " bytes, more than the " +
                    std::to_string(max_bytes >> 20) + " MiB a file of this kind may have: is it the right file?");
  }
  if (nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    throw FileError(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                    " levels, which no model file needs: is it the right file?");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range such as 1e999
    throw FileError(source + ": not valid JSON (" + e.what() + ")");
  }
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool read_small_file(const std::string& path, std::string* text, size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw FileError(path + ": cannot read: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw FileError(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw FileError(path + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                    std::to_string(max_bytes >> 20) + " MiB a file of this kind may have: is it the right file?");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw FileError(path + ": read error");
  *text = out.str();
  return true;
}

std::string describe_json(const nlohmann::json& value) {
  if (value.is_array()) return "an array of " + std::to_string(value.size());
  if (value.is_object()) return "an object of " + std::to_string(value.size()) + " fields";
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

}  // namespace diffscope
