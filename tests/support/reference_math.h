// Double-precision building blocks of the tests' direct model implementations (the Diff V2 and standard-family
// references): RMSNorm, a linear layer, RoPE. Written from the formulas, one vector at a time. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"
#include "tiny_v2_checkpoint.h"

namespace diffscope::testing {

using Vec = std::vector<double>;

// x / rms(x) times the weight `name` (no weight when `name` is empty).
Vec reference_rms_norm(const Vec& x, const Weights& w, const std::string& name, double eps);
// W x (+ b when `bias` names a tensor), W = `name` of shape [out, in].
Vec reference_linear(const Vec& x, const Weights& w, const std::string& name, const std::string& bias = "");
// Inverse RoPE frequencies of `shape` (llama3 band rule with low 1, high 4, original 16 when scaled).
Vec reference_inverse_frequencies(const TinyShape& shape);
// Llama rotate-half RoPE of one head vector (d wide) at position `pos`: pairs (i, i + d/2).
void reference_rotate(double* u, int d, int64_t pos, const Vec& inv);
// Causal softmax of the scaled dot products of q rows with k rows (row i over keys 0..i); with a sliding window
// W > 0, HF's band: row i over the keys j with i - W < j <= i (the others 0); with softcap c > 0 (Gemma 2) the
// scores are c tanh(s / c).
std::vector<Vec> reference_causal_softmax(const std::vector<Vec>& q, const std::vector<Vec>& k, double scale,
                                          int64_t window = 0, double softcap = 0);
// The largest |m - ref| over the entries; infinity when the shapes differ or an entry is NaN.
double max_abs_difference(const Matrix& m, const std::vector<Vec>& ref);

}  // namespace diffscope::testing
