// The host's lead over a device stream, bounded (device_lead.h). Called by the thread that owns the model.
#include "device_lead.h"

#include <chrono>
#include <thread>

#include <c10/core/impl/VirtualGuardImpl.h>

#include "stage_profile.h"

namespace diffscope {

DeviceLead::DeviceLead(const at::Device& device, int steps)
    : cuda_(device.is_cuda() && bounded_queue()), steps_(steps) {}

void DeviceLead::admit() {
  while (static_cast<int>(queued_.size()) >= steps_) {
    // c10::Event has no blocking wait in LibTorch 1.13; the device is busy with at least steps_ - 1 steps meanwhile.
    while (!queued_.front().query()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    queued_.pop_front();
  }
}

void DeviceLead::record(const c10::Stream& stream) {
  if (!cuda_) return;
  queued_.emplace_back(stream.device_type());
  queued_.back().record(stream);
}

void DeviceLead::record_current(const at::Device& device) {
  if (!cuda_) return;
  const c10::impl::VirtualGuardImpl guard(device.type());
  record(guard.getStream(device));
}

}  // namespace diffscope
