// Internal to engine/: a second stream of a GPU for work that may run beside the current stream's (a run's scan of
// one layer beside the next layers' forward). Device-generic (c10's virtual guard), so no CUDA header is needed here.
// Called by the thread that owns the model.
#pragma once

#include <optional>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/Stream.h>
#include <c10/core/StreamGuard.h>

namespace diffscope {

class SideStream {
 public:
  // For a CUDA device its side stream (one per device for the process: work that successive runs queue on it, such
  // as a scan reading the previous run's cached rows, stays in order); for any other device nothing, and every call
  // below does nothing. DIFFSCOPE_SCAN_SIDE_STREAM=0 (a measurement switch, for a same-call baseline) gives nothing on
  // a GPU too: everything then stays on the current stream.
  explicit SideStream(const at::Device& device);

  // While a Scope lives, the thread's work goes to the side stream, after all the work queued on the current stream
  // before it was made.
  class Scope {
   public:
    explicit Scope(std::optional<c10::Stream> side);
   private:
    std::optional<c10::StreamGuard> guard_;
  };
  Scope enter() const;

  // `t` (made on the current stream) is read or written by work queued on the side stream: the device allocator must
  // not hand its memory to other work before that work is done, though `t` may be freed sooner on the host.
  void used_on_side(const at::Tensor& t) const;

  // The current stream waits for all the work queued on the side stream so far. `made_on_side`: tensors made there
  // that work on the current stream reads after this; the allocator keeps their memory until that work is done.
  void join(const std::vector<at::Tensor>& made_on_side) const;

 private:
  at::Device device_;
  std::optional<c10::Stream> side_;
};

}  // namespace diffscope
