// Catch2's main() for every test program. Main thread.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
