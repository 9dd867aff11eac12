// Tests of the process's memory readings (engine/process_memory.h): present on Linux, the peak never below the
// current size. Test thread.
#include <catch2/catch.hpp>

#include "process_memory.h"

using namespace diffscope;

TEST_CASE("resident memory and its peak are read from /proc") {
  const double now = resident_mib();
  const double peak = peak_resident_mib();
  CHECK(now > 0);
  CHECK(peak >= now);
}
