// The process's resident memory, for tools and reports that watch memory over time (diffscope-cli soak, the app's
// --state-json and --benchmark). Linux /proc; any thread.
#pragma once

namespace diffscope {

// Resident set size of this process in MiB (VmRSS of /proc/self/status); 0 where it cannot be read.
double resident_mib();

// The largest resident set size this process has had, in MiB (VmHWM of /proc/self/status); 0 where it cannot be read.
double peak_resident_mib();

}  // namespace diffscope
