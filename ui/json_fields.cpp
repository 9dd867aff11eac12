// Typed, range-checked JSON field reads (json_fields.h). Any thread.
#include "json_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "json_limits.h"

namespace diffscope::ui {

namespace {

using nlohmann::json;

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

std::string range_text(int64_t min, int64_t max) {
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

std::string range_text(double min, double max) {
  // %g keeps the bounds short (1e-12, 512) in the message.
  char buf[96];
  std::snprintf(buf, sizeof buf, "a number from %g to %g", min, max);
  return buf;
}

}  // namespace

JsonFields::JsonFields(const json& object, std::string* error, std::string prefix)
    : object_(object.is_object() ? object : empty_object()), error_(error), prefix_(std::move(prefix)) {}

bool JsonFields::has(const char* key) const { return find(key) != nullptr; }

const json* JsonFields::find(const char* key) const {
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

std::string JsonFields::name(const char* key) const { return "\"" + prefix_ + key + "\""; }

void JsonFields::fail(const std::string& message) {
  if (error_ != nullptr && error_->empty()) *error_ = message;
}

void JsonFields::wrong(const char* key, const std::string& what, const json& value) {
  if (error_ == nullptr || !error_->empty()) return;
  fail(name(key) + " must be " + what + ", got " + describe_json(value));
}

void JsonFields::boolean(const char* key, bool* out) {
  const json* v = find(key);
  if (v == nullptr) return;
  if (v->is_boolean()) *out = v->get<bool>();
  else wrong(key, "true or false", *v);
}

void JsonFields::integer(const char* key, int64_t* out, int64_t min, int64_t max) {
  const json* v = find(key);
  if (v == nullptr) return;
  bool fits = false;
  int64_t value = 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    fits = max >= 0 && u <= static_cast<uint64_t>(max) && static_cast<int64_t>(u) >= min;
    value = static_cast<int64_t>(u);
  } else if (v->is_number_integer()) {
    value = v->get<int64_t>();
    fits = value >= min && value <= max;
  }
  if (fits) *out = value;
  else wrong(key, range_text(min, max), *v);
}

void JsonFields::integer(const char* key, int* out, int64_t min, int64_t max) {
  int64_t value = *out;
  integer(key, &value, min, max);
  // min and max are the caller's, within int for an int field.
  if (value >= min && value <= max) *out = static_cast<int>(value);
}

void JsonFields::number(const char* key, double* out, double min, double max) {
  const json* v = find(key);
  if (v == nullptr) return;
  if (v->is_number()) {
    const double value = v->get<double>();
    if (std::isfinite(value) && value >= min && value <= max) {
      *out = value;
      return;
    }
  }
  wrong(key, range_text(min, max), *v);
}

void JsonFields::number(const char* key, float* out, double min, double max) {
  const json* v = find(key);
  if (v == nullptr) return;
  // The bounds as floats too: a float field holding a bound itself (0.01f is 0.00999999977...) is written as that
  // double and must read back. The caller's bounds lie within float's range, so the cast is defined.
  const float float_min = static_cast<float>(min), float_max = static_cast<float>(max);
  if (v->is_number()) {
    const double value = v->get<double>();
    const double low = std::min<double>(min, float_min), high = std::max<double>(max, float_max);
    if (std::isfinite(value) && value >= low && value <= high) {
      *out = std::clamp(static_cast<float>(value), float_min, float_max);
      return;
    }
  }
  wrong(key, range_text(min, max), *v);
}

void JsonFields::text(const char* key, std::string* out) {
  const json* v = find(key);
  if (v == nullptr) return;
  if (v->is_string()) *out = v->get<std::string>();
  else wrong(key, "a string", *v);
}

void JsonFields::choice(const char* key, const std::function<bool(const std::string&)>& parse, const char* allowed) {
  const json* v = find(key);
  if (v == nullptr) return;
  if (!v->is_string() || !parse(v->get<std::string>())) wrong(key, std::string("one of ") + allowed, *v);
}

JsonFields JsonFields::object(const char* key) {
  const json* v = find(key);
  if (v != nullptr && !v->is_object()) wrong(key, "an object", *v);
  return JsonFields(v != nullptr && v->is_object() ? *v : empty_object(), error_, prefix_ + key + ".");
}

}  // namespace diffscope::ui
