// Resident memory from /proc/self/status, and the heap policy (process_memory.h). Any thread; the heap policy at the
// start of main.
#include "process_memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fstream>
#include <string>

namespace diffscope {

namespace {

// The value of a "Key:  N kB" line of /proc/self/status, in MiB; 0 when absent.
double status_mib(const std::string& wanted) {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == wanted) {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace

double resident_mib() { return status_mib("VmRSS:"); }

double peak_resident_mib() { return status_mib("VmHWM:"); }

bool keep_freed_results_in_heap() {
#if defined(__GLIBC__)
  // Setting either threshold also turns off glibc's own adjustment of them (which raises the mmap threshold to the
  // size of a freed block but trims the heap back to twice that, so the memory still went back every run).
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1;
  return mmap_ok && trim_ok;
#else
  return true;
#endif
}

}  // namespace diffscope
