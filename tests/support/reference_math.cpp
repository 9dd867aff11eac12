// The tests' double-precision reference pieces (reference_math.h). Any thread.
#include "reference_math.h"

#include <algorithm>
#include <cmath>

namespace diffscope::testing {

Vec reference_rms_norm(const Vec& x, const Weights& w, const std::string& name, double eps) {
  double sq = 0;
  for (double v : x) sq += v * v;
  const double scale = 1.0 / std::sqrt(sq / static_cast<double>(x.size()) + eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    out[i] = (name.empty() ? 1.0 : w.at(name, static_cast<int64_t>(i))) * x[i] * scale;
  }
  return out;
}

Vec reference_linear(const Vec& x, const Weights& w, const std::string& name, const std::string& bias) {
  const int64_t rows = w.shapes.at(name)[0];
  Vec out(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < x.size(); ++c) out[static_cast<size_t>(r)] += w.at(name, r, static_cast<int64_t>(c)) * x[c];
    if (!bias.empty()) out[static_cast<size_t>(r)] += w.at(bias, r);
  }
  return out;
}

Vec reference_inverse_frequencies(const TinyShape& s) {
  const double pi = 3.14159265358979323846;
  Vec inv;
  for (int i = 0; i < s.head_dim / 2; ++i) {
    double f = 1.0 / std::pow(s.theta, 2.0 * i / s.head_dim);
    if (s.llama3_factor > 0) {
      const double wavelen = 2 * pi / f, original = 16, low = 1, high = 4;
      if (wavelen > original / low) {
        f /= s.llama3_factor;
      } else if (wavelen >= original / high) {
        const double smooth = (original / wavelen - low) / (high - low);
        f = (1 - smooth) * f / s.llama3_factor + smooth * f;
      }
    }
    inv.push_back(f);
  }
  return inv;
}

void reference_rotate(double* u, int d, int64_t pos, const Vec& inv) {
  for (int i = 0; i < d / 2; ++i) {
    const double angle = static_cast<double>(pos) * inv[static_cast<size_t>(i)];
    const double c = std::cos(angle), s = std::sin(angle);
    const double lo = u[i], hi = u[i + d / 2];
    u[i] = lo * c - hi * s;
    u[i + d / 2] = hi * c + lo * s;
  }
}

std::vector<Vec> reference_causal_softmax(const std::vector<Vec>& q, const std::vector<Vec>& k, double scale,
                                          int64_t window, double softcap) {
  const size_t T = q.size();
  std::vector<Vec> a(T, Vec(T, 0.0));
  for (size_t i = 0; i < T; ++i) {
    auto seen = [&](size_t c) { return c <= i && (window <= 0 || static_cast<int64_t>(i) - window < static_cast<int64_t>(c)); };
    Vec score(i + 1);
    double top = -INFINITY;
    for (size_t c = 0; c <= i; ++c) {
      if (!seen(c)) continue;
      double dot = 0;
      for (size_t e = 0; e < q[i].size(); ++e) dot += q[i][e] * k[c][e];
      score[c] = dot * scale;
      if (softcap > 0) score[c] = softcap * std::tanh(score[c] / softcap);
      top = std::max(top, score[c]);
    }
    double sum = 0;
    for (size_t c = 0; c <= i; ++c)
      if (seen(c)) sum += std::exp(score[c] - top);
    for (size_t c = 0; c <= i; ++c) a[i][c] = seen(c) ? std::exp(score[c] - top) / sum : 0.0;
  }
  return a;
}

double max_abs_difference(const Matrix& m, const std::vector<Vec>& ref) {
  if (m.rows != static_cast<int64_t>(ref.size())) return INFINITY;
  double worst = 0;
  for (int64_t r = 0; r < m.rows; ++r) {
    if (m.cols != static_cast<int64_t>(ref[static_cast<size_t>(r)].size())) return INFINITY;
    for (int64_t c = 0; c < m.cols; ++c) {
      const double e = std::fabs(m.at(r, c) - ref[static_cast<size_t>(r)][static_cast<size_t>(c)]);
      if (std::isnan(e)) return INFINITY;
      worst = std::max(worst, e);
    }
  }
  return worst;
}

}  // namespace diffscope::testing
