// The process's resident memory, for tools and reports that watch memory over time (diffscope-cli soak, the app's
// --state-json). Linux /proc; any thread.
#pragma once

namespace diffscope {

// Resident set size of this process in MiB (VmRSS of /proc/self/status); 0 where it cannot be read.
double resident_mib();

}  // namespace diffscope
