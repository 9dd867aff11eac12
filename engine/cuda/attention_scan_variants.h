// Internal to engine/cuda/: pass 1 (rows) and pass 2's main kernel (pairs) of the attention scan per dtype and tile
// kind, each compiled in its own file generated from attention_scan_variant.cu.in. Called by attention_scan.cu's
// entry points, on the thread that called them; they only enqueue work on `stream`.
#pragma once

#include "attention_scan.h"

namespace diffscope::scan_variants {

void rows_f32(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);
void rows_bf16_mma(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);
void rows_bf16_simt(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);
void rows_f16_mma(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);
void rows_f16_simt(const AttentionScanInput& in, const ScanRowsOutput& out, void* stream);

void pairs_f32(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream);
void pairs_bf16_mma(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream);
void pairs_bf16_simt(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream);
void pairs_f16_mma(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream);
void pairs_f16_simt(const AttentionScanInput& in, const float* row_lse, const ScanPairsOutput& out, void* stream);

}  // namespace diffscope::scan_variants
