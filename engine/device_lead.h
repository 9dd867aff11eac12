// Internal to engine/: keeps the host at most a few steps (layers) ahead of a device stream, so that cancelling a run
// takes effect within those steps of device time instead of after everything the host had already queued (on a GPU
// the host queues a layer in a fraction of the time the device takes to run it). Called by the thread that owns the
// model.
#pragma once

#include <deque>

#include <ATen/ATen.h>
#include <c10/core/Event.h>
#include <c10/core/Stream.h>

namespace diffscope {

class DeviceLead {
 public:
  // `steps`: how many steps may be queued and not yet run. A no-op for a CPU device (its work is done when queued) and
  // unless stage_profile.h's bounded_queue() is on.
  DeviceLead(const at::Device& device, int steps);
  // Waits until fewer than `steps` recorded steps are still running on the device.
  void admit();
  // Marks the end of a step: the work queued so far on `stream`.
  void record(const c10::Stream& stream);
  // The same on the current stream of the device.
  void record_current(const at::Device& device);

 private:
  bool cuda_;
  int steps_;
  std::deque<c10::Event> queued_;
};

}  // namespace diffscope
