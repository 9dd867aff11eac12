// For tests of lambda's figures: Diff snapshots built from hand-made lambda matrices, and a V1 and a V2 matrix.
// Test thread.
#pragma once

#include <vector>

#include "snapshot.h"

namespace diffscope::ui::testing {

// A Diff snapshot whose layers hold the given lambda matrices ([heads, T]).
inline AttentionSnapshot with_lambdas(const std::vector<Matrix>& lambdas) {
  AttentionSnapshot s;
  s.model.kind = AttentionKind::Differential;
  for (const Matrix& l : lambdas) {
    LayerCapture layer;
    layer.lambda = l;
    s.layers.push_back(layer);
  }
  return s;
}

inline const Matrix kV1{2, 3, {0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f}};  // one value repeated: V1
inline const Matrix kV2{2, 3, {0.2f, 0.5f, 0.8f, 0.4f, 0.4f, 0.4f}};  // head 0 varies by row, head 1 does not

}  // namespace diffscope::ui::testing
