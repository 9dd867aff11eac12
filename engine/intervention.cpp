// The --intervene syntax (intervention.h). Any thread.
#include "intervention.h"

#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstdlib>

#include "errors.h"

namespace diffscope {

namespace {

// A non-negative integer of at most 9 digits, or -1.
int small_index(const std::string& digits) {
  if (digits.empty() || digits.size() > 9) return -1;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
  }
  return std::atoi(digits.c_str());
}

double finite_number(const std::string& text, const std::string& spec, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || errno != 0 || !std::isfinite(v)) {
    throw InputError("intervention \"" + spec + "\": " + what + " \"" + text + "\" is not a finite number");
  }
  return v;
}

}  // namespace

Intervention parse_intervention(const std::string& spec) {
  const std::string syntax = " (expected L<layer>.H<head or *>:<what>, e.g. L3.H2:lambda=0; <what> is lambda=<v>, "
                             "lambda_scale=<f>, only=A1, only=A2, ablate=zero or ablate=mean)";
  Intervention iv;
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) throw InputError("intervention \"" + spec + "\": missing \":<what>\"" + syntax);
  const std::string where = spec.substr(0, colon), what = spec.substr(colon + 1);
  const size_t dot = where.find('.');
  if (where.empty() || where[0] != 'L' || dot == std::string::npos) {
    throw InputError("intervention \"" + spec + "\": \"" + where + "\" is not L<layer>.H<head>" + syntax);
  }
  iv.layer = small_index(where.substr(1, dot - 1));
  if (iv.layer < 0) {
    throw InputError("intervention \"" + spec + "\": layer \"" + where.substr(1, dot - 1) + "\" is not a number");
  }
  const std::string head = where.substr(dot + 1);
  if (head.size() < 2 || head[0] != 'H') {
    throw InputError("intervention \"" + spec + "\": \"" + head + "\" is not H<head> or H*" + syntax);
  }
  if (head == "H*") {
    iv.head = -1;
  } else {
    iv.head = small_index(head.substr(1));
    if (iv.head < 0) throw InputError("intervention \"" + spec + "\": head \"" + head.substr(1) + "\" is not a number or *");
  }
  const size_t eq = what.find('=');
  const std::string key = what.substr(0, eq), arg = eq == std::string::npos ? "" : what.substr(eq + 1);
  if (key == "lambda" && eq != std::string::npos) {
    iv.what = Intervention::What::Lambda;
    iv.value = finite_number(arg, spec, "lambda");
  } else if (key == "lambda_scale" && eq != std::string::npos) {
    iv.what = Intervention::What::LambdaScale;
    iv.value = finite_number(arg, spec, "lambda_scale");
  } else if (key == "only" && (arg == "A1" || arg == "A2")) {
    iv.what = arg == "A1" ? Intervention::What::OnlyA1 : Intervention::What::OnlyA2;
  } else if (key == "ablate" && (arg == "zero" || arg == "mean")) {
    iv.what = arg == "zero" ? Intervention::What::AblateZero : Intervention::What::AblateMean;
  } else {
    throw InputError("intervention \"" + spec + "\": \"" + what + "\" is not an intervention" + syntax);
  }
  return iv;
}

std::string intervention_spec(const Intervention& iv) {
  std::string out = "L" + std::to_string(iv.layer) + ".H" + (iv.head < 0 ? "*" : std::to_string(iv.head)) + ":";
  char number[32];
  std::snprintf(number, sizeof number, "%g", iv.value);
  switch (iv.what) {
    case Intervention::What::Lambda: return out + "lambda=" + number;
    case Intervention::What::LambdaScale: return out + "lambda_scale=" + number;
    case Intervention::What::OnlyA1: return out + "only=A1";
    case Intervention::What::OnlyA2: return out + "only=A2";
    case Intervention::What::AblateZero: return out + "ablate=zero";
    case Intervention::What::AblateMean: return out + "ablate=mean";
  }
  return out;
}

}  // namespace diffscope
