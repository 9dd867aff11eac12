// engine/thread_priority.h: a thread lowers its own priority only, threads it starts inherit it, and the environment
// variable is read as documented. Test thread (and the threads it starts).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thread_priority.h"

using namespace diffscope;

namespace {

int this_thread_nice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

}  // namespace

TEST_CASE("a thread lowers its own priority; threads it starts inherit it; others keep theirs") {
  const int main_before = this_thread_nice();
  int lowered = -100, child = -100;
  bool ok = false;
  std::thread worker([&] {
    const int before = this_thread_nice();
    ok = lower_this_thread_priority(3);
    lowered = this_thread_nice() - before;
    std::thread grandchild([&] { child = this_thread_nice() - before; });
    grandchild.join();
  });
  worker.join();
  REQUIRE(ok);
  CHECK(lowered == (main_before + 3 > 19 ? 19 - main_before : 3));
  CHECK(child == lowered);
  CHECK(this_thread_nice() == main_before);
}

TEST_CASE("the inference threads' nice increment: the default, or DIFFSCOPE_WORKER_NICE when it is 0..19") {
  unsetenv("DIFFSCOPE_WORKER_NICE");
  CHECK(inference_thread_nice() == kDefaultInferenceNice);
  setenv("DIFFSCOPE_WORKER_NICE", "0", 1);
  CHECK(inference_thread_nice() == 0);
  setenv("DIFFSCOPE_WORKER_NICE", "12", 1);
  CHECK(inference_thread_nice() == 12);
  for (const char* bad : {"20", "-1", "high", "5x", ""}) {
    setenv("DIFFSCOPE_WORKER_NICE", bad, 1);
    CHECK(inference_thread_nice() == kDefaultInferenceNice);
  }
  unsetenv("DIFFSCOPE_WORKER_NICE");
  CHECK(lower_this_thread_priority(0));  // nothing to do
}
