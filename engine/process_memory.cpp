// Resident memory from /proc/self/status (process_memory.h). Any thread.
#include "process_memory.h"

#include <fstream>
#include <string>

namespace diffscope {

double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace diffscope
