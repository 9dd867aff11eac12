// Results copied to the host as the device produces them (deferred_host.h). Called by the thread that owns the model;
// work() is the helper thread's loop.
#include "deferred_host.h"

#include "model.h"
#include "stage_profile.h"

#include <chrono>

#include <c10/core/StreamGuard.h>

#include <c10/core/impl/VirtualGuardImpl.h>

namespace diffscope {

DeferredHost::~DeferredHost() { stop_worker(/*run_remaining=*/false); }

at::Tensor DeferredHost::to_host(const at::Tensor& t) {
  if (!t.is_cuda()) return t.contiguous();
  const at::Tensor source = t.contiguous();
  at::Tensor host = at::empty(t.sizes(), t.options().device(at::kCPU).pinned_memory(true));
  const c10::impl::VirtualGuardImpl guard(t.device().type());
  if (epilogue_baseline()) {
    host.copy_(source, /*non_blocking=*/true);  // the caching host allocator keeps the buffer until the copy is done
    copy_stream_ = guard.getStream(t.device());
  } else {
    // The copy waits for what the compute stream has queued so far (the producer of `t`) and then runs beside the
    // later work instead of before it: a run's overviews are ~200 MiB, ~4 ms of copying on the H200.
    if (!copy_stream_) copy_stream_ = guard.getStreamFromGlobalPool(t.device());
    c10::Event produced(t.device().type());
    produced.record(guard.getStream(t.device()));
    produced.block(*copy_stream_);
    // The device allocator must not hand the source's memory to later work before the copy has read it.
    guard.recordDataPtrOnStream(source.storage().data_ptr(), *copy_stream_);
    const c10::StreamGuard on_copy_stream(*copy_stream_);
    host.copy_(source, /*non_blocking=*/true);
  }
  return host;
}

void DeferredHost::then(std::function<void()> step, const char* label) {
  Pending pending{std::nullopt, std::move(step), label};
  if (!copy_stream_ && mode_ != Mode::Background) {
    inline_steps_.push_back(std::move(pending));
    return;
  }
  if (copy_stream_) {
    // Recorded on the stream the copies were queued on, so it completes after them.
    pending.ready.emplace(copy_stream_->device_type());
    pending.ready->record(*copy_stream_);
  }
  if (!worker_.joinable()) start_worker();
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(pending));
  changed_.notify_one();
}

void DeferredHost::start_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Steps added before the first copy go first, in order.
    for (auto& step : inline_steps_) queue_.push_back(std::move(step));
    inline_steps_.clear();
    closing_ = abandon_ = false;
  }
  worker_ = std::thread([this] { work(); });
}

void DeferredHost::work() {
  for (;;) {
    Pending pending;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return abandon_ || closing_ || !queue_.empty(); });
      if (abandon_ || queue_.empty()) return;  // abandoned, or closing with nothing left
      pending = std::move(queue_.front());
      queue_.pop_front();
      if (error_) continue;  // after a failed step the rest are skipped (their results would be inconsistent)
    }
    try {
      const bool profiled = StageProfile::instance().enabled;
      const auto start = std::chrono::steady_clock::now();
      // c10::Event has no blocking wait in LibTorch 1.13; a short sleep between queries costs the helper thread little.
      while (pending.ready && !pending.ready->query()) std::this_thread::sleep_for(std::chrono::microseconds(50));
      const auto copied = std::chrono::steady_clock::now();
      pending.step();
      if (profiled) {
        const auto ms = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };
        const std::string prefix = Model::kHelperStagePrefix;
        StageProfile::instance().add(prefix + "waiting for copies", ms(start, copied));
        StageProfile::instance().add(prefix + pending.label, ms(copied, std::chrono::steady_clock::now()));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void DeferredHost::stop_worker(bool run_remaining) {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    abandon_ = !run_remaining;
    changed_.notify_one();
  }
  worker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.clear();
}

void DeferredHost::finish() {
  stop_worker(/*run_remaining=*/true);
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::swap(error, error_);
  }
  if (error) {
    inline_steps_.clear();
    std::rethrow_exception(error);
  }
  // Inline steps exist only while no CUDA copy was queued (then() hands every later step to the helper thread), so
  // nothing they read waits for the device.
  std::vector<Pending> steps = std::move(inline_steps_);
  inline_steps_.clear();
  for (auto& pending : steps) pending.step();
}

at::Tensor to_device_async(const at::Tensor& host, const at::Device& device) {
  if (!device.is_cuda()) return host.clone();  // a copy either way: `host` may alias memory its caller frees
  return host.contiguous().pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace diffscope
