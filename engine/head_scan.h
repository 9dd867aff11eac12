// The head-effect scan (issue 14): one intervention per head of a model, each alone, and how far it moves a target's
// log-probability, its rank and the next-token distribution, ranked by the drop. Plain C++: the types, the target's
// tokens, the chunk size, the ranking and the CSV / JSON / PNG writers; Model::scan_heads (model.cpp) computes it.
// Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "intervention.h"
#include "snapshot.h"

namespace diffscope {

class Tokenizer;

struct HeadScanOptions {
  // Applied to each head alone (Intervention's `what` and `value`; layer and head are the scan's).
  Intervention::What what = Intervention::What::Lambda;
  double value = 0;
  // Heads run together through the layers after theirs. 0: as many of a layer's heads as fit memory_budget_bytes.
  int batch = 0;
  int64_t memory_budget_bytes = int64_t{8} << 30;
};

struct HeadEffect {
  int layer = 0, head = 0;
  double logprob_clean = 0, logprob_changed = 0;  // the target's: the sum over its tokens, each given those before
  int64_t rank_clean = 0, rank_changed = 0;       // of its first token (in its row): 1 + more likely tokens
  double kl = 0;  // KL(clean || changed) of the next-token distribution after the prompt, nats
  double delta() const { return logprob_changed - logprob_clean; }
};

struct HeadScan {
  int64_t prompt_tokens = 0;
  std::vector<int64_t> target;  // the answer's ids (the clean run's next token when none was given)
  // Where the target's first token sits in the sequence run: prompt_tokens for an answer after the prompt (teacher
  // forced), the span's first token for a target inside the prompt (Model::scan_heads_span).
  int64_t target_begin = 0;
  Intervention::What what = Intervention::What::Lambda;
  double value = 0;
  std::vector<HeadEffect> effects;  // every head, ranked by rank_by_drop
  int batch = 0;                    // heads per batched continuation, as run
  int64_t layer_forwards = 0;       // decoder layers run over the whole sequence (a batch of B counts B)
  double seconds = 0;
};

// The what of the scan's --what: "lambda0" (lambda = 0 = only A1), or any <what> of --intervene (lambda=<v>,
// lambda_scale=<f>, only=A1, only=A2, ablate=zero, ablate=mean). Throws InputError naming the text.
HeadScanOptions scan_what(const std::string& text);
// "lambda=0", "ablate=mean", ... (the <what> of an --intervene spec).
std::string scan_what_name(Intervention::What what, double value);

// The ids of an answer given as text, as the model's tokenizer gives them with no special tokens (no BOS).
// Throws InputError for an empty text or one that gives no tokens.
std::vector<int64_t> target_ids_from_text(const Tokenizer& tokenizer, const std::string& text);

// The tokens a scan runs: the prompt and every answer token but the last (teacher forcing: answer token k is scored
// at position prompt + k - 1). Throws InputError when they exceed `context` positions, or an id is outside `vocab`.
std::vector<Token> scan_sequence(const std::vector<Token>& prompt, const std::vector<int64_t>& answer, int64_t context,
                                 int64_t vocab);

// An estimate of the device memory one batch element of the scan holds at its peak (a layer's activations over
// `tokens` tokens in `dtype_bytes`-byte elements, and the scored rows' log-probabilities in double), and the batch
// of at most `heads` that fits `budget` (at least 1).
int64_t scan_bytes_per_head(const ModelInfo& info, int64_t tokens, int64_t scored_rows, int dtype_bytes);
int scan_batch_for(const ModelInfo& info, int64_t tokens, int64_t scored_rows, int dtype_bytes, int heads,
                   int64_t budget);

// Largest drop first (most negative delta), then the KL, then (layer, head).
void rank_by_drop(std::vector<HeadEffect>& effects);

// A [layers, heads] matrix of delta (NaN where no head was scanned).
Matrix delta_grid(const HeadScan& scan, int layers, int heads);

// The ranked table: CSV (header: rank,layer,head,what,logprob_clean,logprob_changed,delta,rank_clean,rank_changed,kl)
// or JSON (the table under "heads", with the target, the intervention, the batch and the time). Throws FileError.
void write_head_scan_csv(const std::string& path, const HeadScan& scan);
void write_head_scan_json(const std::string& path, const HeadScan& scan, const std::string& model_name);
// The layer x head heatmap of delta (rows: layers, columns: heads), diverging (red: the target gained, blue: it
// lost), symmetric around 0, `cell_pixels` per head. Throws InputError / FileError as write_heatmap_png.
void write_head_scan_png(const std::string& path, const HeadScan& scan, int layers, int heads, int cell_pixels = 16);

}  // namespace diffscope
