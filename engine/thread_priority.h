// Lowers the scheduling priority of the calling thread, for the inference threads: on a CPU-only machine the engine's
// runs (and the OpenMP / BLAS threads they start, which inherit it) then give way to the UI thread's frames instead of
// stretching them. Any thread, for itself.
#pragma once

namespace diffscope {

// The nice increment for inference threads: $DIFFSCOPE_WORKER_NICE when set (0..19), else kDefaultInferenceNice.
// 0 by default until measured on a quiet machine: on the 2-core machine under other builds, nice 5 made frames while
// a run is in flight 79 -> 57 ms (median) but the runs 2.5x slower (docs/benchmarks.md).
constexpr int kDefaultInferenceNice = 0;
int inference_thread_nice();
// Adds `increment` to the calling thread's nice value (Linux: per thread). Returns false where it cannot (the thread
// then runs as it was); never throws.
bool lower_this_thread_priority(int increment);

}  // namespace diffscope
