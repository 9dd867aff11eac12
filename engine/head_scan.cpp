// The head-effect scan's plain parts (head_scan.h): what it applies, its target and sequence, its chunk size, its
// ranking and its files. Any thread.
#include "head_scan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "export.h"
#include "heatmap_png.h"
#include "tokenizer.h"

namespace diffscope {

HeadScanOptions scan_what(const std::string& text) {
  const std::string what = text == "lambda0" ? "lambda=0" : text;
  Intervention iv;
  try {
    iv = parse_intervention("L0.H0:" + what);
  } catch (const InputError&) {
    throw InputError("\"" + text + "\" is not a scan intervention: use lambda0, lambda=<v>, lambda_scale=<f>, only=A1, "
                     "only=A2, ablate=zero or ablate=mean");
  }
  HeadScanOptions o;
  o.what = iv.what;
  o.value = iv.value;
  return o;
}

std::string scan_what_name(Intervention::What what, double value) {
  Intervention iv;
  iv.what = what;
  iv.value = value;
  const std::string spec = intervention_spec(iv);  // "L0.H0:<what>"
  return spec.substr(spec.find(':') + 1);
}

std::vector<int64_t> target_ids_from_text(const Tokenizer& tokenizer, const std::string& text) {
  if (text.empty()) throw InputError("the target text is empty: give the answer's text, e.g. \" 4721\"");
  std::vector<int64_t> ids;
  for (const Token& t : tokenizer.encode_continuation(text)) ids.push_back(t.id);
  if (ids.empty()) throw InputError("the target text \"" + escape_for_display(text) + "\" gives no tokens");
  return ids;
}

std::vector<Token> scan_sequence(const std::vector<Token>& prompt, const std::vector<int64_t>& answer, int64_t context,
                                 int64_t vocab) {
  if (prompt.empty()) throw InputError("the prompt is empty: type some text");
  for (int64_t id : answer) {
    if (id < 0 || id >= vocab) {
      throw InputError("target token " + std::to_string(id) + " is outside the model's vocabulary of " +
                       std::to_string(vocab) + " ids");
    }
  }
  const int64_t P = static_cast<int64_t>(prompt.size()), n = static_cast<int64_t>(answer.size());
  const int64_t needed = P + std::max<int64_t>(n - 1, 0);
  if (needed > context) {
    throw InputError("the prompt's " + std::to_string(P) + " tokens and the target's " + std::to_string(n) +
                     " need " + std::to_string(needed) + " positions (the target's last token is only predicted), "
                     "more than the model's context of " + std::to_string(context) +
                     ": shorten the prompt or the target");
  }
  std::vector<Token> seq = prompt;
  for (int64_t k = 0; k + 1 < n; ++k) {
    Token t;
    t.id = answer[static_cast<size_t>(k)];
    t.text = "<" + std::to_string(t.id) + ">";
    seq.push_back(std::move(t));
  }
  return seq;
}

int64_t scan_bytes_per_head(const ModelInfo& info, int64_t tokens, int64_t scored_rows, int dtype_bytes) {
  // The live set of one layer over the sequence, in the compute dtype: the residual stream, its norm and the
  // sublayer outputs (4 x hidden); queries, keys and values with their RoPE temporaries and the keys and values
  // repeated per sub-head (V1 values are two head_dims wide), the attention output and the Diff combination
  // (~13 x sub-heads x head_dim); the MLP's gate, up, activation and product (4 x intermediate). Then the scored rows'
  // logits and log-probabilities in double (3 x vocab).
  const int64_t per_token = 4 * info.hidden_size + 13 * int64_t{info.num_sub_heads} * info.head_dim +
                            4 * info.intermediate_size;
  return tokens * per_token * dtype_bytes + scored_rows * 3 * info.vocab_size * 8;
}

int scan_batch_for(const ModelInfo& info, int64_t tokens, int64_t scored_rows, int dtype_bytes, int heads,
                   int64_t budget) {
  const int64_t each = std::max<int64_t>(1, scan_bytes_per_head(info, tokens, scored_rows, dtype_bytes));
  return static_cast<int>(std::clamp<int64_t>(budget / each, 1, std::max(heads, 1)));
}

void rank_by_drop(std::vector<HeadEffect>& effects) {
  std::stable_sort(effects.begin(), effects.end(), [](const HeadEffect& a, const HeadEffect& b) {
    if (a.delta() != b.delta()) return a.delta() < b.delta();
    if (a.kl != b.kl) return a.kl > b.kl;
    return a.layer != b.layer ? a.layer < b.layer : a.head < b.head;
  });
}

Matrix delta_grid(const HeadScan& scan, int layers, int heads) {
  Matrix m;
  m.rows = layers;
  m.cols = heads;
  m.values.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), std::numeric_limits<float>::quiet_NaN());
  for (const HeadEffect& e : scan.effects) {
    if (e.layer < 0 || e.layer >= layers || e.head < 0 || e.head >= heads) continue;
    m.values[static_cast<size_t>(e.layer) * static_cast<size_t>(heads) + static_cast<size_t>(e.head)] =
        static_cast<float>(e.delta());
  }
  return m;
}

namespace {

std::string number(double v) {
  if (!std::isfinite(v)) return v > 0 ? "inf" : v < 0 ? "-inf" : "nan";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

void write_head_scan_csv(const std::string& path, const HeadScan& scan) {
  const std::string what = scan_what_name(scan.what, scan.value);
  std::string csv = "rank,layer,head,what,logprob_clean,logprob_changed,delta,rank_clean,rank_changed,kl\n";
  for (size_t i = 0; i < scan.effects.size(); ++i) {
    const HeadEffect& e = scan.effects[i];
    csv += std::to_string(i + 1) + "," + std::to_string(e.layer) + "," + std::to_string(e.head) + "," + what + "," +
           number(e.logprob_clean) + "," + number(e.logprob_changed) + "," + number(e.delta()) + "," +
           std::to_string(e.rank_clean) + "," + std::to_string(e.rank_changed) + "," + number(e.kl) + "\n";
  }
  write_text_file(path, csv);
}

void write_head_scan_json(const std::string& path, const HeadScan& scan, const std::string& model_name) {
  nlohmann::ordered_json j;
  j["model"] = model_name;
  j["format"] = "diffscope-head-scan-1";
  j["what"] = scan_what_name(scan.what, scan.value);
  j["prompt_tokens"] = scan.prompt_tokens;
  j["target"] = scan.target;
  j["target_begin"] = scan.target_begin;  // the target's first token's position in the sequence run
  j["batch"] = scan.batch;
  j["layer_forwards"] = scan.layer_forwards;
  j["seconds"] = scan.seconds;
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  for (const HeadEffect& e : scan.effects) {
    heads.push_back(nlohmann::ordered_json{{"layer", e.layer}, {"head", e.head},
                                           {"logprob_clean", json_number(e.logprob_clean)},
                                           {"logprob_changed", json_number(e.logprob_changed)},
                                           {"delta", json_number(e.delta())}, {"rank_clean", e.rank_clean},
                                           {"rank_changed", e.rank_changed}, {"kl", json_number(e.kl)}});
  }
  j["heads"] = std::move(heads);
  write_text_file(path, j.dump(2) + "\n");
}

void write_head_scan_png(const std::string& path, const HeadScan& scan, int layers, int heads, int cell_pixels) {
  const Matrix grid = delta_grid(scan, layers, heads);
  HeatmapImageOptions options;
  options.colormap = Colormap::RdBu;
  // Symmetric around 0 over every cell (auto_scale looks at a causal map's lower triangle only).
  float limit = 0;
  for (float v : grid.values) {
    if (std::isfinite(v)) limit = std::max(limit, std::fabs(v));
  }
  options.scale.diverging = true;
  options.scale.vmin = -limit;
  options.scale.vmax = limit;
  options.cell_pixels = cell_pixels;
  options.shade_masked = false;
  write_heatmap_png(path, grid, options);
}

}  // namespace diffscope
