// Export names that never overwrite an earlier export (ui/unique_path.h). Test thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "unique_path.h"

namespace fs = std::filesystem;
using diffscope::ui::unique_path;

TEST_CASE("a taken export name gets the next free number before its extension") {
  const fs::path dir = fs::temp_directory_path() / "diffscope_test_unique_path";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string png = (dir / "map.png").string();
  CHECK(unique_path(png) == png);
  std::ofstream(png) << "x";
  CHECK(unique_path(png) == (dir / "map_2.png").string());
  std::ofstream(dir / "map_2.png") << "x";
  CHECK(unique_path(png) == (dir / "map_3.png").string());
  fs::create_directories(dir / "maps.v1");
  CHECK(unique_path((dir / "maps.v1").string()) == (dir / "maps.v1_2").string());
  fs::remove_all(dir);
}
