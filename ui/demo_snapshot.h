// Synthetic snapshots with the shape of real ones (sink column, local diagonal, a retrieval spike) for the UI's tests,
// the frame-time benchmark (--demo) and developing views without a model. Plain C++; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "snapshot.h"

namespace diffscope::ui {

struct DemoSpec {
  AttentionKind kind = AttentionKind::Differential;
  int layers = 4;
  int heads = 4;          // heads shown per layer (Diff heads for a Diff model)
  std::string text;       // byte tokens of this text; when empty, `tokens` tokens of filler text
  int64_t tokens = 32;
  uint32_t seed = 1;
  bool lambda_per_row = false;  // Diff V2: lambda[h][t] varies by head and query row (V1: one value per layer)
};

// A snapshot with every map captured and HeadStats computed with naive loops (REFERENCE.md section 6).
AttentionSnapshot make_demo_snapshot(const DemoSpec& spec);

}  // namespace diffscope::ui
