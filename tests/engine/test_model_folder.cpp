// model_folder_problem: what the app says about a slot path before it queues a load (missing, a file, a folder without
// config.json, a model folder). Test thread.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "model_folder.h"
#include "temp_dir.h"

using namespace diffscope;

TEST_CASE("a slot path is checked before a load: missing, a file in a model folder, no config.json, a model folder") {
  TempDir tmp("model-folder");
  REQUIRE_FALSE(tmp.path().empty());
  const std::string model = tmp.file("diff"), empty = tmp.file("empty");
  REQUIRE(mkdir(model.c_str(), 0700) == 0);
  REQUIRE(mkdir(empty.c_str(), 0700) == 0);
  std::ofstream(model + "/config.json") << "{}";

  CHECK(model_folder_problem(tmp.file("nope")) == tmp.file("nope") + " does not exist");
  CHECK(model_folder_problem(model + "/config.json") ==
        model + "/config.json is a file: choose the folder that holds config.json (" + model + ")");
  CHECK(model_folder_problem(empty) == empty + " has no config.json");
  CHECK_FALSE(model_folder_problem(model));
}
