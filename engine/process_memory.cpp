// Resident memory from /proc/self/status (process_memory.h). Any thread.
#include "process_memory.h"

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

}  // namespace diffscope
