// Internal to engine/: a layer's statistics of every head, pooled overviews of every map and attention-logit outlier
// figures, from its rotated queries and keys, in memory that grows with T, not T x T. Runs the CUDA kernels for CUDA
// tensors where they were built, else the host twin (attention_scan.h). Called by the thread that owns the model.
#pragma once

#include "attention_maps.h"
#include "deferred_host.h"
#include "snapshot.h"

namespace diffscope {

// Queues the scan of the whole-prompt layer `layer` (T queries over the same T keys) and the copies of its results;
// `deferred.finish` then fills capture.stats_* (when request.statistics), capture.overview (when request.overviews)
// and capture.attn_logits (with statistics). `capture` must stay where it is until then.
void scan_layer(const LayerQK& layer, const HeadLayout& layout, const CaptureRequest& request, LayerCapture& capture,
                DeferredHost& deferred);

}  // namespace diffscope
