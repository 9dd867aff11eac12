// Lowers the scheduling priority of the calling thread, for the inference threads: on a CPU-only machine the engine's
// runs (and the OpenMP / BLAS threads they start, which inherit it) then give way to the UI thread's frames instead of
// stretching them. Any thread, for itself.
#pragma once

namespace diffscope {

// The nice increment for inference threads: $DIFFSCOPE_WORKER_NICE when set (0..19, for benchmarks), else 5.
int inference_thread_nice();
// Adds `increment` to the calling thread's nice value (Linux: per thread). Returns false where it cannot (the thread
// then runs as it was); never throws.
bool lower_this_thread_priority(int increment);

}  // namespace diffscope
