// Reads and writes safetensors files (REFERENCE.md section 5) with the project's own parser on nlohmann_json.
// A SafetensorsFile is immutable after open(): any thread may read it; the mapping lives as long as the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace diffscope {

enum class DType { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8_E4M3, F8_E5M2 };

const char* dtype_name(DType dtype);     // "F32", "BF16", ... as written in the header
size_t dtype_size(DType dtype);          // bytes per element
bool dtype_from_name(const std::string& name, DType* out);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets into the data buffer (after the header)
  uint64_t end = 0;
  int64_t numel() const;
};

// An open, validated safetensors file, memory-mapped read-only.
class SafetensorsFile {
 public:
  // Opens and validates the whole header; throws FileError naming the file and the rule that is broken.
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }     // in header order
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;                  // nullptr when absent
  const uint8_t* data(const TensorInfo& tensor) const;                    // points into the mapping

 private:
  SafetensorsFile() = default;
  std::string path_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  const uint8_t* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  const uint8_t* buffer_ = nullptr;  // start of the data buffer inside the mapping
};

// One tensor to write: `data` must hold numel * dtype_size bytes, little-endian, row-major.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};

// Writes a safetensors file (header padded with spaces to a multiple of 8). Writes to a temporary file in the same
// folder and renames it, so a failed write never leaves a half file. Throws FileError.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace diffscope
