// Demo snapshots as a long prompt's run looks: no dense map, every map's overview, and a MapStore that answers windows
// by cutting and max-|value| pooling the maps it keeps (what the engine's store computes from queries and keys). For
// the GUI tests and developing the pooled views without a model. Plain C++; any thread.
#pragma once

#include "snapshot.h"

namespace diffscope::ui {

// Moves the dense maps of `snapshot` into a store (snapshot.store), fills each layer's overview (at most
// `overview_size` cells a side, MapOverview::cell_for) and leaves the layers without dense maps.
void make_overview_only(AttentionSnapshot& snapshot, int overview_size = 256);

}  // namespace diffscope::ui
