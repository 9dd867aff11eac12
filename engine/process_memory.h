// The process's resident memory, for tools and reports that watch memory over time (diffscope-cli soak, the app's
// --state-json and --benchmark), and the heap policy that suits a process making one large result per run. Linux;
// any thread (keep_freed_results_in_heap: call once, at the start of main, before other threads exist).
#pragma once

namespace diffscope {

// Resident set size of this process in MiB (VmRSS of /proc/self/status); 0 where it cannot be read.
double resident_mib();

// The largest resident set size this process has had, in MiB (VmHWM of /proc/self/status); 0 where it cannot be read.
double peak_resident_mib();

// A run's result is hundreds of blocks of 64 KiB-4 MiB (a 4K-token run of a 16-layer model: 768 overview planes of
// 256 KiB, 200 MiB); the next run frees them and makes the same again. glibc's defaults hand blocks above 128 KiB
// back to the kernel on free (munmap, or trimming the heap's top), so every run page-faulted its whole result in
// afresh: 60-70 ms of a 190 ms run at 4K tokens on the GPU machine. This keeps blocks up to 32 MiB in the heap and
// up to 512 MiB of freed heap for reuse (larger blocks, e.g. whole maps, still go back at once). glibc only; a no-op
// elsewhere. Returns false when the C library refused.
bool keep_freed_results_in_heap();

}  // namespace diffscope
