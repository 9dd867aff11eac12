// Figure captions: lambda, span cells, prompt excerpt. Any thread.
#include "figure_caption.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "tokenizer/hf_tokenizer_utf8.h"
#include "lambda_rows.h"

namespace diffscope::ui {

namespace {

std::string format3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// One character of the prompt (or one byte that is not UTF-8) and where it lies.
struct Unit {
  size_t begin = 0, end = 0;
  bool valid = true;
};

std::vector<Unit> units_of(const std::string& text) {
  std::vector<Unit> units;
  for (size_t i = 0; i < text.size();) {
    bool valid = false;
    const size_t n = utf8::next_unit(text, i, valid);
    units.push_back({i, i + n, valid});
    i += n;
  }
  return units;
}

bool is_bidi_control(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::string escaped(const std::string& text, const Unit& u) {
  char buf[16];
  if (!u.valid) {
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(text[u.begin]));
    return buf;
  }
  const char32_t c = utf8::decode_at(text, u.begin);
  if (c == '\n') return "\xE2\x86\xB5";  // U+21B5, as the token strip shows line breaks
  if (c == '\t') return "\xE2\x87\xA5";  // U+21E5 RIGHTWARDS ARROW TO BAR
  if (c < 0x20 || c == 0x7F) {
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
    return buf;
  }
  if (c > 0xFFFF || is_bidi_control(c)) {  // DejaVu has no emoji; a bidi control would be invisible
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
    return buf;
  }
  return text.substr(u.begin, u.end - u.begin);
}

}  // namespace

std::optional<std::string> lambda_caption(const AttentionSnapshot& s, int layer, int head) {
  if (s.model.kind != AttentionKind::Differential || layer < 0 || layer >= static_cast<int>(s.layers.size())) {
    return std::nullopt;
  }
  const Matrix& lambda = s.layers[static_cast<size_t>(layer)].lambda;
  if (lambda.empty() || head >= lambda.rows) return std::nullopt;
  const int64_t first = head < 0 ? 0 : head, last = head < 0 ? lambda.rows : head + 1;
  double sum = 0, low = lambda.at(first, 0), high = low;
  for (int64_t h = first; h < last; ++h) {
    for (int64_t t = 0; t < lambda.cols; ++t) {
      const double v = lambda.at(h, t);
      sum += v;
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  const double mean = sum / static_cast<double>((last - first) * lambda.cols);
  const std::string name = "\xCE\xBB = ";  // λ
  const std::string which = head < 0 ? " (mean of heads" : "";
  if (high - low <= kLambdaRowTolerance) return name + format3(mean) + (head < 0 ? which + ")" : "");
  return name + format3(mean) + (head < 0 ? which + ", over rows " : " (mean over rows, ") + format3(low) + ".." +
         format3(high) + ")";
}

std::optional<TokenSpan> span_in_cells(TokenSpan span, int64_t window_begin, int64_t window_end, int64_t pool) {
  pool = std::max<int64_t>(1, pool);
  const int64_t begin = std::max(span.begin, window_begin), end = std::min(span.end, window_end);
  if (begin >= end) return std::nullopt;
  return TokenSpan{(begin - window_begin) / pool, (end - 1 - window_begin) / pool + 1};
}

std::string prompt_excerpt(const std::string& prompt, std::optional<std::pair<int64_t, int64_t>> span_bytes,
                           size_t max_chars) {
  const std::vector<Unit> units = units_of(prompt);
  const size_t n = units.size();
  // The units of the span (those overlapping its bytes), or an empty range at the start.
  size_t span_begin = 0, span_end = 0;
  const bool has_span = span_bytes && span_bytes->first < span_bytes->second && span_bytes->first >= 0 &&
                        span_bytes->second <= static_cast<int64_t>(prompt.size());
  if (has_span) {
    while (span_begin < n && static_cast<int64_t>(units[span_begin].end) <= span_bytes->first) ++span_begin;
    span_end = span_begin;
    while (span_end < n && static_cast<int64_t>(units[span_end].begin) < span_bytes->second) ++span_end;
  }
  std::string out;
  size_t chars = 0;
  const auto add = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) out += escaped(prompt, units[k]);
  };
  if (!has_span) {
    const size_t end = std::min(n, max_chars);
    add(0, end);
    return end < n ? out + "\xE2\x80\xA6" : out;
  }
  // A long span keeps its start and end, with "…" between; the context around it gets what is left, shared evenly.
  const size_t span_chars = span_end - span_begin;
  const size_t span_budget = std::max<size_t>(8, max_chars * 2 / 3);
  if (span_chars > span_budget) {
    const size_t half = span_budget / 2;
    add(span_begin, span_begin + half);
    out += "\xE2\x80\xA6";
    add(span_end - half, span_end);
    chars = half * 2 + 1;
  } else {
    add(span_begin, span_end);
    chars = span_chars;
  }
  std::string marked;
  marked.swap(out);
  const size_t context = max_chars > chars ? max_chars - chars : 0;
  size_t before = std::min(span_begin, context / 2), after = std::min(n - span_end, context - before);
  before = std::min(span_begin, context - after);  // what the end did not use goes to the start
  if (span_begin > before) out += "\xE2\x80\xA6";
  add(span_begin - before, span_begin);
  out += "\xC2\xAB" + marked + "\xC2\xBB";  // « »
  add(span_end, span_end + after);
  if (span_end + after < n) out += "\xE2\x80\xA6";
  return out;
}

}  // namespace diffscope::ui
