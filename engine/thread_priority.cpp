// Per-thread nice values (Linux: setpriority on the thread's id). Any thread, for itself.
#include "thread_priority.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace diffscope {

int inference_thread_nice() {
  const char* env = std::getenv("DIFFSCOPE_WORKER_NICE");
  if (env == nullptr || *env == '\0') return kDefaultInferenceNice;
  char* end = nullptr;
  const long value = std::strtol(env, &end, 10);
  if (*end != '\0' || value < 0 || value > 19) return kDefaultInferenceNice;  // not an increment
  return static_cast<int>(value);
}

bool lower_this_thread_priority(int increment) {
  if (increment <= 0) return true;
#if defined(__linux__)
  // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone; threads it starts inherit it.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  const int wanted = current + increment > 19 ? 19 : current + increment;
  return setpriority(PRIO_PROCESS, tid, wanted) == 0;
#else
  return false;
#endif
}

}  // namespace diffscope
