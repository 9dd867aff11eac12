// The what-if controls' plain logic (what_if_state.h). Main (UI) thread.
#include "what_if_state.h"

#include <cstdio>

namespace diffscope::ui {

const char* what_if_view_name(WhatIfView view) {
  switch (view) {
    case WhatIfView::Clean: return "clean";
    case WhatIfView::Changed: return "changed";
    case WhatIfView::Difference: return "difference";
  }
  return "clean";
}

void add_intervention(std::vector<Intervention>& list, const Intervention& change) {
  for (Intervention& iv : list) {
    if (iv.layer == change.layer && iv.head == change.head) {
      iv = change;
      return;
    }
  }
  list.push_back(change);
}

Intervention make_intervention(int layer, int head, bool whole_layer, Intervention::What what, double value) {
  Intervention iv;
  iv.layer = layer;
  iv.head = whole_layer ? -1 : head;
  iv.what = what;
  iv.value = value;
  return iv;
}

std::vector<std::string> scan_what_choices(bool differential) {
  if (differential) return {"lambda0", "only=A2", "ablate=zero", "ablate=mean"};
  return {"ablate=zero", "ablate=mean"};
}

bool has_dense_maps(const AttentionSnapshot& snapshot) {
  for (const LayerCapture& layer : snapshot.layers) {
    for (const auto* maps : {&layer.attn, &layer.attn1, &layer.attn2, &layer.diff}) {
      for (const Matrix& m : *maps) {
        if (!m.values.empty()) return true;
      }
    }
  }
  return false;
}

namespace {

// changed - clean where both have the map with one shape; else the map is left empty.
void subtract_into(std::vector<Matrix>& changed, const std::vector<Matrix>& clean) {
  for (size_t h = 0; h < changed.size(); ++h) {
    Matrix& c = changed[h];
    if (h >= clean.size() || clean[h].rows != c.rows || clean[h].cols != c.cols) {
      c = Matrix{};
      continue;
    }
    for (size_t i = 0; i < c.values.size(); ++i) c.values[i] -= clean[h].values[i];
  }
}

}  // namespace

SnapshotPtr difference_snapshot(const AttentionSnapshot& clean, const AttentionSnapshot& changed) {
  if (clean.tokens.size() != changed.tokens.size() || clean.layers.size() != changed.layers.size() ||
      !has_dense_maps(clean) || !has_dense_maps(changed)) {
    return nullptr;
  }
  auto out = std::make_shared<AttentionSnapshot>(changed);
  out->store.reset();
  out->logits = Matrix{};
  for (size_t l = 0; l < out->layers.size(); ++l) {
    LayerCapture& d = out->layers[l];
    const LayerCapture& c = clean.layers[l];
    subtract_into(d.attn, c.attn);
    subtract_into(d.attn1, c.attn1);
    subtract_into(d.attn2, c.attn2);
    subtract_into(d.diff, c.diff);
    std::vector<Matrix> rollout{d.rollout};
    subtract_into(rollout, {c.rollout});
    d.rollout = rollout[0];
    d.overview = MapOverview{};
  }
  return out;
}

std::string difference_hover_text(float clean, float changed) {
  char text[128];
  std::snprintf(text, sizeof text, "changed - clean = %+.4g (clean %.4g, changed %.4g)",
                static_cast<double>(changed - clean), static_cast<double>(clean), static_cast<double>(changed));
  return text;
}

}  // namespace diffscope::ui
