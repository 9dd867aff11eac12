// Names for exported files and folders that never overwrite an earlier export: the name itself when it is free, else
// the name with _2, _3, ... before its extension. Plain function; main (UI) thread (reads the file system).
#pragma once

#include <string>

namespace diffscope::ui {

// `path` when nothing exists there; else "<stem>_<n><extension>" (a folder: "<path>_<n>") with the smallest n >= 2
// that is free.
std::string unique_path(const std::string& path);

}  // namespace diffscope::ui
