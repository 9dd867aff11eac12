// An inference worker over the fake model (fake_slot_model.h) with the waits its tests share: a slot loaded, a slot
// showing a prompt, the worker idle. Every wait is bounded (Script::wait_until). Test thread.
#pragma once

#include <string>

#include "fake_slot_model.h"
#include "inference_worker.h"

namespace diffscope::fake {

struct WorkerFixture {
  Script script;
  InferenceWorker worker{fake_loader(script), [this] { script.poke(); }};

  RunRequest prompt(const std::string& text) const {
    RunRequest r;
    r.text = text;
    return r;
  }
  bool loaded(int slot, const std::string& dir) {
    return script.wait_until([&] {
      const SlotState s = worker.state(slot);
      return s.phase == SlotState::Phase::Ready && s.info && s.info->name == dir;
    });
  }
  // Waits until `slot` published a snapshot of `text` (its tokens spell it).
  bool shows(int slot, const std::string& text) {
    return script.wait_until([&] {
      const SlotState s = worker.state(slot);
      std::string shown;
      if (s.snapshot) {
        for (const Token& t : s.snapshot->tokens) shown += t.text;
      }
      return shown == text;
    });
  }
  bool idle() {
    return script.wait_until([&] { return worker.idle(); });
  }
  int runs_of(const std::string& what) const { return script.count("run " + what); }
};

}  // namespace diffscope::fake
