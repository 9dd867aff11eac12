// Runs `diffscope --benchmark` on the bundled models on the CPU (app/gui_benchmark.h) and checks what it reports: a
// BENCH JSON line for every measurement, numbers that are possible (never how fast anything is), one statistics
// latency per keystroke made, the final frame as a PNG, windows measured past the dense budget; and a prompt longer
// than the models' context refused with exit status 2. Needs a display: run under xvfb-run. Test thread.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <stb_image.h>

namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";

// Runs the app with `args`, its output into `out`; returns its exit status.
int run(const std::string& args, const fs::path& out) {
  const std::string command = std::string(DIFFSCOPE_APP) + " --no-settings --model " + kModels + "/diff --model-b " +
                              kModels + "/standard " + args + " > " + out.string() + " 2>&1";
  INFO(command);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The BENCH lines of an output, by phase.
std::map<std::string, nlohmann::json> bench_lines(const std::string& output) {
  std::map<std::string, nlohmann::json> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("BENCH ", 0) != 0) continue;
    const nlohmann::json j = nlohmann::json::parse(line.substr(6));  // throws (fails the test) when it is not JSON
    lines[j.at("phase").get<std::string>()] = j;
  }
  return lines;
}

// A summary of latencies ({count, median, p90, max}) that could be true.
void check_summary(const nlohmann::json& s, size_t count) {
  INFO(s.dump());
  CHECK(s.at("count").get<size_t>() == count);
  CHECK(s.at("median").get<double>() >= 0);
  CHECK(s.at("median").get<double>() <= s.at("p90").get<double>());
  CHECK(s.at("p90").get<double>() <= s.at("max").get<double>());
}

// Frame fields of a phase line that could be true.
void check_frames(const nlohmann::json& j, size_t frames) {
  INFO(j.dump());
  CHECK(j.at("frames").get<size_t>() == frames);
  CHECK(j.at("median_ms").get<double>() > 0);
  CHECK(j.at("median_ms").get<double>() <= j.at("p90_ms").get<double>());
  CHECK(j.at("p90_ms").get<double>() <= j.at("max_ms").get<double>());
}

}  // namespace

TEST_CASE("--benchmark on the bundled models reports every measurement as a BENCH line") {
  const fs::path out = fs::temp_directory_path() / "diffscope_gui_benchmark";
  fs::remove_all(out);
  fs::create_directories(out);
  const fs::path log = out / "out.txt", png = out / "final.png";
  const int rc = run("--benchmark 3 --bench-tokens 64 --timeout 120 --screenshot " + png.string(), log);
  const std::string output = read_text(log);
  INFO(output);
  REQUIRE(rc == 0);

  const std::map<std::string, nlohmann::json> lines = bench_lines(output);
  for (const char* phase : {"setup", "idle", "typing", "keystroke", "zoom", "memory"}) {
    INFO("phase " << phase);
    REQUIRE(lines.count(phase) == 1);
    const nlohmann::json& j = lines.at(phase);
    CHECK(j.at("bench") == "app");
    CHECK(j.at("tokens").get<int64_t>() > 32);  // the example prompts repeated, cut to at most 64 tokens
    CHECK(j.at("tokens").get<int64_t>() <= 64);
    CHECK(j.at("tokens_b").get<int64_t>() <= 64);
    CHECK(j.at("maps") == "dense");  // 64 tokens: far under the dense budget
    CHECK(j.at("device") == "cpu");
    CHECK(j.at("window") == "1600x1000");
    CHECK_FALSE(j.at("renderer").get<std::string>().empty());
  }
  CHECK(lines.at("setup").at("first_results_ms").get<double>() > 0);
  check_frames(lines.at("idle"), 3);
  check_frames(lines.at("typing"), 3);
  CHECK(lines.at("typing").at("keystrokes") == 1);  // a key every 3 frames: at frame 0 of 3
  CHECK(lines.at("typing").at("last_key_results_ms").get<double>() >= 0);

  const nlohmann::json& keys = lines.at("keystroke");
  CHECK(keys.at("keystrokes") == 3);
  CHECK(keys.at("frames").get<size_t>() >= 3 * 3);  // at least 3 frames per keystroke
  check_summary(keys.at("stats_ms"), 3);
  check_summary(keys.at("stats_a_ms"), 3);
  check_summary(keys.at("stats_b_ms"), 3);
  check_summary(keys.at("submit_ms"), 3);
  check_summary(keys.at("refined_ms"), 3);
  CHECK(keys.at("refined") == "dense");
  // Statistics come after the submission, and both slots' after either's.
  CHECK(keys.at("stats_ms").at("max").get<double>() >= keys.at("stats_a_ms").at("max").get<double>());
  CHECK(keys.at("stats_ms").at("median").get<double>() >= keys.at("submit_ms").at("median").get<double>());

  const nlohmann::json& zoom = lines.at("zoom");
  check_frames(zoom, 3);
  CHECK(zoom.at("zoom_to").get<double>() >= 1);
  CHECK(zoom.at("window_requests") == 0);  // dense maps: nothing to fetch
  CHECK(zoom.at("window_answers") == 0);

  const nlohmann::json& memory = lines.at("memory");
  CHECK(memory.at("rss_mib").get<double>() > 0);
  CHECK(memory.at("peak_rss_mib").get<double>() >= memory.at("rss_mib").get<double>());
  REQUIRE(memory.at("gpu").size() == 2);
  for (const auto& slot : memory.at("gpu")) {
    CHECK(slot.at("device") == "cpu");
    CHECK(slot.at("allocated_mib").is_null());  // no device allocator on the CPU: the RSS holds it
  }

  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(png.string().c_str(), &w, &h, &channels, 3);
  REQUIRE(data != nullptr);
  stbi_image_free(data);
  CHECK(w == 1600);
  CHECK(h == 1000);
  fs::remove_all(out);
}

TEST_CASE("--benchmark of a prompt past the dense budget measures the focused map's windows") {
  const fs::path out = fs::temp_directory_path() / "diffscope_gui_benchmark_windows";
  fs::remove_all(out);
  fs::create_directories(out);
  const fs::path log = out / "out.txt";
  // 800 tokens: the bundled pair's 120 maps a token pair pass 256 MiB from ~750 tokens, so views draw overviews and
  // fetch windows (overview cells of 8 tokens; x4 on a ~180-pixel map is 2 tokens per pixel: a window is needed).
  const int rc = run("--benchmark 2 --bench-tokens 800 --timeout 120", log);
  const std::string output = read_text(log);
  INFO(output);
  REQUIRE(rc == 0);
  const std::map<std::string, nlohmann::json> lines = bench_lines(output);
  REQUIRE(lines.count("keystroke") == 1);
  REQUIRE(lines.count("zoom") == 1);
  const nlohmann::json& keys = lines.at("keystroke");
  CHECK(keys.at("maps") == "overviews");
  CHECK(keys.at("keystrokes") == 2);
  check_summary(keys.at("stats_ms"), 2);
  check_summary(keys.at("refined_ms"), 2);
  CHECK(keys.at("refined") == "window");
  CHECK(keys.at("refined_pool").get<int64_t>() >= 1);
  const nlohmann::json& zoom = lines.at("zoom");
  check_frames(zoom, 2);
  CHECK(zoom.at("zoom_to").get<double>() > 1);  // 800 tokens on fewer pixels: zoomed in to about one per pixel
  CHECK(zoom.at("window_answers").get<uint64_t>() <= zoom.at("window_requests").get<uint64_t>());
  CHECK(zoom.at("final_pool").get<int64_t>() >= 1);
  fs::remove_all(out);
}

TEST_CASE("--benchmark refuses a prompt longer than a model's context with status 2") {
  const fs::path out = fs::temp_directory_path() / "diffscope_gui_benchmark_long";
  fs::remove_all(out);
  fs::create_directories(out);
  const fs::path log = out / "out.txt";
  CHECK(run("--benchmark 3 --bench-tokens 5000", log) == 2);
  const std::string output = read_text(log);
  INFO(output);
  CHECK(output.find("longer than the context") != std::string::npos);
  CHECK(output.find("1024 tokens") != std::string::npos);
  CHECK(output.find("BENCH") == std::string::npos);
  fs::remove_all(out);
}
