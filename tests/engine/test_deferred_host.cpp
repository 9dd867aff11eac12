// Tests of DeferredHost (engine/deferred_host.h): the order of steps, errors and the helper thread's shutdown, on the
// CPU (Background mode forces the helper thread that a GPU run uses).
// ATen before Catch: c10's logging header defines its own CHECK macro, which must not replace Catch's.
#include "deferred_host.h"
#include "model.h"
#undef CHECK
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using diffscope::DeferredHost;

TEST_CASE("inline steps wait for finish and run in order", "[deferred_host]") {
  DeferredHost deferred;  // CPU tensors only: no helper thread
  std::vector<int> order;
  const at::Tensor host = deferred.to_host(at::arange(4, at::kFloat));
  deferred.then([&] { order.push_back(1); });
  deferred.then([&, host] { order.push_back(static_cast<int>(host[3].item<float>())); });
  CHECK(order.empty());  // nothing ran yet
  deferred.finish();
  CHECK((order == std::vector<int>{1, 3}));
  deferred.then([&] { order.push_back(5); });  // a second finish runs the newer steps only
  deferred.finish();
  CHECK((order == std::vector<int>{1, 3, 5}));
}

TEST_CASE("background steps run in order on another thread, all done when finish returns", "[deferred_host]") {
  DeferredHost deferred(DeferredHost::Mode::Background);
  std::vector<int> order;  // written only by the helper thread until finish() returns
  std::atomic<bool> other_thread{true};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 200; ++i) {
    deferred.then([&, i] {
      if (std::this_thread::get_id() == caller) other_thread = false;
      order.push_back(i);
    });
  }
  deferred.finish();
  REQUIRE(order.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(order[static_cast<size_t>(i)] == i);
  CHECK(other_thread);
  deferred.then([&] { order.push_back(-1); });  // the thread starts again after a finish
  deferred.finish();
  CHECK(order.back() == -1);
}

TEST_CASE("a failing step's exception reaches finish and the later steps are skipped", "[deferred_host]") {
  for (const auto mode : {DeferredHost::Mode::Automatic, DeferredHost::Mode::Background}) {
    DeferredHost deferred(mode);
    int ran = 0;
    deferred.then([&] { ++ran; });
    deferred.then([] { throw std::runtime_error("step failed"); });
    deferred.then([&] { ran += 100; });
    try {
      deferred.finish();
      FAIL("finish did not throw");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "step failed");
    }
    CHECK(ran == 1);
    deferred.then([&] { ran += 10; });  // usable again afterwards
    deferred.finish();
    CHECK(ran == 11);
  }
}

TEST_CASE("destroying a DeferredHost without finish stops the helper thread", "[deferred_host]") {
  std::atomic<int> ran{0};
  {
    DeferredHost deferred(DeferredHost::Mode::Background);
    for (int i = 0; i < 1000; ++i) deferred.then([&] { ++ran; });
  }  // a cancelled run: joins, drops what has not run, never hangs
  CHECK(ran <= 1000);
}

TEST_CASE("with profiling on, the helper thread's time is reported per step label", "[deferred_host]") {
  diffscope::Model::set_profiling(true, /*host_only=*/true);
  {
    DeferredHost deferred(DeferredHost::Mode::Background);
    deferred.then([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }, "slow");
    deferred.then([] {}, "quick");
    deferred.then([] {});
    deferred.finish();
  }
  const std::map<std::string, double> stages = diffscope::Model::take_profile();
  diffscope::Model::set_profiling(false);
  const std::string prefix = diffscope::Model::kHelperStagePrefix;
  REQUIRE(stages.count(prefix + "slow") == 1);
  CHECK(stages.at(prefix + "slow") >= 19.0);  // the step slept 20 ms (steady_clock: never less)
  CHECK(stages.at(prefix + "quick") < stages.at(prefix + "slow"));
  CHECK(stages.count(prefix + "other") == 1);  // a step without a label
  CHECK(stages.count(prefix + "waiting for copies") == 1);
  CHECK(diffscope::Model::take_profile().empty());  // taken: cleared
}
