// A second stream of a GPU (side_stream.h). Called by the thread that owns the model.
#include "side_stream.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>

namespace diffscope {
namespace {

// One side stream per device for the process, taken from LibTorch's pool the first time (the pool's streams do not
// synchronize with the legacy default stream).
c10::Stream side_stream_of(const at::Device& device) {
  static std::mutex mutex;
  static std::map<int, c10::Stream> streams;
  std::lock_guard<std::mutex> lock(mutex);
  const auto found = streams.find(device.index());
  if (found != streams.end()) return found->second;
  const c10::impl::VirtualGuardImpl guard(device.type());
  const c10::Stream stream = guard.getStreamFromGlobalPool(device);
  streams.emplace(device.index(), stream);
  return stream;
}

// `waiting` waits for the work queued on `done` so far.
void wait_for(const c10::Stream& done, const c10::Stream& waiting) {
  c10::Event event(done.device_type());
  event.record(done);
  event.block(waiting);
}

bool side_stream_off() {
  static const bool off = [] {
    const char* env = std::getenv("DIFFSCOPE_SCAN_SIDE_STREAM");
    return env && std::string(env) == "0";
  }();
  return off;
}

}  // namespace

SideStream::SideStream(const at::Device& device) : device_(device) {
  if (!device.is_cuda() || side_stream_off()) return;
  // The device's index as the current stream names it (a device given as plain "cuda" has none).
  const c10::impl::VirtualGuardImpl guard(device.type());
  device_ = guard.getStream(device).device();
  side_ = side_stream_of(device_);
}

SideStream::Scope::Scope(std::optional<c10::Stream> side) {
  if (!side) return;
  const c10::impl::VirtualGuardImpl guard(side->device_type());
  wait_for(guard.getStream(side->device()), *side);
  guard_.emplace(*side);
}

SideStream::Scope SideStream::enter() const { return Scope(side_); }

void SideStream::used_on_side(const at::Tensor& t) const {
  if (!side_ || !t.defined() || !t.is_cuda()) return;
  const c10::impl::VirtualGuardImpl guard(side_->device_type());
  guard.recordDataPtrOnStream(t.storage().data_ptr(), *side_);
}

void SideStream::join(const std::vector<at::Tensor>& made_on_side) const {
  if (!side_) return;
  const c10::impl::VirtualGuardImpl guard(side_->device_type());
  const c10::Stream current = guard.getStream(device_);
  wait_for(*side_, current);
  for (const at::Tensor& t : made_on_side) {
    if (t.defined() && t.is_cuda()) guard.recordDataPtrOnStream(t.storage().data_ptr(), current);
  }
}

}  // namespace diffscope
