// Internal to engine/: results that reach the host as the device produces them, without the host waiting layer by
// layer. Every copy from a GPU to the host waits for the device; a run that copied each layer's statistics as it
// went waited a dozen times per layer and left the GPU idle while the host queued the next layer. Called by the
// thread that owns the model; on a GPU the steps run on a helper thread of their own (see then()).
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/Event.h>

namespace diffscope {

class DeferredHost {
 public:
  // Background: steps run on a helper thread as soon as the copies before them are done (the default for a GPU,
  // forced here so the CPU tests can check the thread's bookkeeping). Inline: steps run in finish().
  enum class Mode { Automatic, Background };
  explicit DeferredHost(Mode mode = Mode::Automatic) : mode_(mode) {}
  // Waits for the helper thread; steps not run yet are dropped (a cancelled run's results are not wanted).
  ~DeferredHost();
  DeferredHost(const DeferredHost&) = delete;
  DeferredHost& operator=(const DeferredHost&) = delete;

  // A host tensor that holds `t`'s values by the time the steps added after this call run: for a CUDA tensor a
  // pinned buffer filled by an asynchronous copy queued now on a copy stream of its own, after the work queued so far
  // on the current stream (on the current stream itself with stage_profile.h's epilogue_baseline()); for a CPU
  // tensor `t` itself.
  at::Tensor to_host(const at::Tensor& t);
  // Host work to do once the device has finished what was queued so far; steps run in the order they were added.
  // After a CUDA copy they run on the helper thread while the device works on, so converting a layer's results
  // (the 200 MiB of overview planes of a 4K-token run) overlaps the later layers instead of following the last.
  // A step must touch only what no other thread touches until finish() returns. `label` names the step in
  // `bench --profile` (stage_profile.h: the helper thread's time per label, and its time waiting for copies).
  void then(std::function<void()> step, const char* label = "other");
  // Returns once every step has run (waiting for the device as needed); rethrows the first exception of a step.
  // Safe to call more than once (later calls run the newer steps).
  void finish();

 private:
  struct Pending {
    std::optional<c10::Event> ready;  // recorded after the copies the step reads; none for host-only work
    std::function<void()> step;
    const char* label = "other";
  };
  void start_worker();
  void work();
  void stop_worker(bool run_remaining);

  Mode mode_;
  std::vector<Pending> inline_steps_;  // steps added before any CUDA copy (none ready to wait for)
  std::optional<c10::Stream> copy_stream_;  // the stream of the CUDA copies queued, once there is one
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  bool abandon_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

// A copy of `host` (a CPU tensor) on `device`, made without waiting for the device: a plain .to(device) of pageable
// memory synchronizes the stream, so small tensors go through pinned memory and a non-blocking copy.
at::Tensor to_device_async(const at::Tensor& host, const at::Device& device);

}  // namespace diffscope
