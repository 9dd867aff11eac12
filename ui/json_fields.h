// Typed, range-checked reads of the fields of a JSON object from a file the user gives (settings.json, session
// files). Lenient (settings: a field that is missing, of the wrong type or out of range keeps its default) or strict
// (sessions: the first such field is an error that names it, and the caller refuses the whole file). Missing fields
// and fields the reader does not know are never errors. Plain C++; any thread (one reader per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace diffscope::ui {

class JsonFields {
 public:
  // `error`: null for a lenient reader; else the reader is strict and the first problem lands in *error (left alone
  // while there is none). `prefix` names the object in messages ("display." for its fields).
  JsonFields(const nlohmann::json& object, std::string* error, std::string prefix = "");

  bool strict() const { return error_ != nullptr; }
  bool ok() const { return error_ == nullptr || error_->empty(); }
  bool has(const char* key) const;
  // The field's value, or null when it is missing.
  const nlohmann::json* find(const char* key) const;
  // The name of a field as messages give it: the prefix and the key, quoted ("\"display.gamma\"").
  std::string name(const char* key) const;

  // Each reads `key` into *out when it holds a value of the type within [min, max]; otherwise *out keeps its value,
  // and a strict reader records "<name> must be <what>, got <value>". Numbers are checked before converting:
  // nlohmann converts any number to an int or float as a cast would, and a cast of a value out of range (a hand-edited
  // "head": 8.9e40, found by the settings fuzz harness) is undefined behaviour.
  void boolean(const char* key, bool* out);
  void integer(const char* key, int* out, int64_t min, int64_t max);
  void integer(const char* key, int64_t* out, int64_t min, int64_t max);
  void number(const char* key, float* out, double min, double max);
  void number(const char* key, double* out, double min, double max);
  void text(const char* key, std::string* out);
  // A name from a fixed set: `parse` returns false for names it does not know; `allowed` lists them for the message.
  void choice(const char* key, const std::function<bool(const std::string&)>& parse, const char* allowed);

  // A nested object's reader (missing: an empty object; another type: an error for a strict reader, and an empty
  // object).
  JsonFields object(const char* key);

  // Records a problem the caller found (strict readers only; the first one stays).
  void fail(const std::string& message);
  // "<name> must be <what>, got <the value, described briefly>".
  void wrong(const char* key, const std::string& what, const nlohmann::json& value);

 private:
  const nlohmann::json& object_;
  std::string* error_;
  std::string prefix_;
};

}  // namespace diffscope::ui
