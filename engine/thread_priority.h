// Lowers the scheduling priority of the calling thread, for the inference threads: on a CPU-only machine the engine's
// runs (and the OpenMP / BLAS threads they start, which inherit it) then give way to the UI thread's frames instead of
// stretching them. Any thread, for itself.
#pragma once

namespace diffscope {

// The nice increment for inference threads: $DIFFSCOPE_WORKER_NICE when set (0..19), else kDefaultInferenceNice.
// 5: on the quiet 2-core machine (bundled pair, 1000 tokens) frames while a run is in flight 26.4 -> 23.5 ms median
// (max 44 -> 36), idle frames 27.7 -> 15.3 ms (OpenMP's spinning threads yield), runs 0-10% longer
// (docs/benchmarks.md). On a GPU the inference threads mostly wait, so it changes little there.
constexpr int kDefaultInferenceNice = 5;
int inference_thread_nice();
// Adds `increment` to the calling thread's nice value (Linux: per thread). Returns false where it cannot (the thread
// then runs as it was); never throws.
bool lower_this_thread_priority(int increment);

}  // namespace diffscope
