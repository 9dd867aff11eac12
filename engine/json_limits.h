// Limits on JSON that users supply (config.json, generation_config.json): a size cap, a nesting cap checked before
// parsing (nlohmann's dump and some error paths recurse per level, so a deep file could overflow the stack), and a
// short description of a value for error messages that never dumps a whole subtree. Plain C++; any thread.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace diffscope {

constexpr size_t kMaxConfigJsonBytes = size_t{16} << 20;  // config files are kilobytes; 16 MiB is far beyond any
constexpr int kMaxJsonDepth = 64;                          // real configs nest 3-4 levels, tokenizer.json 5-6
constexpr size_t kMaxTokenizerJsonBytes = size_t{256} << 20;  // the largest published tokenizer.json are ~35 MB

// Whether anything (a file, a folder, a FIFO) exists at `path`, without opening it.
bool path_exists(const std::string& path);

// Parses `text` as JSON, or throws FileError naming `source`: too large (more than `max_bytes`), nested deeper than
// kMaxJsonDepth, or not valid JSON (numbers out of range included).
nlohmann::json parse_limited_json(const std::string& text, const std::string& source,
                                  size_t max_bytes = kMaxConfigJsonBytes);

// Reads a small text file whole. Returns false when `path` does not exist; throws FileError naming it when it is not a
// regular file (a FIFO would block the reader, a folder or device is not a config), cannot be read, or is larger than
// `max_bytes`.
bool read_small_file(const std::string& path, std::string* text, size_t max_bytes = kMaxConfigJsonBytes);

// A value for an error message: scalars as JSON (strings cut to 80 characters), arrays and objects as their type and
// size ("an array of 3", "an object of 2 fields").
std::string describe_json(const nlohmann::json& value);

}  // namespace diffscope
