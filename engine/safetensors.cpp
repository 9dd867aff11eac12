// Safetensors reader (mmap + validation of every header rule) and writer (temp file + rename). Any thread; a
// SafetensorsFile is read-only after open(), so it can be shared between threads.
#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>

#include "errors.h"

namespace diffscope {
namespace {

// The writer uses ordered_json to keep the caller's order. The reader parses into nlohmann::json (a std::map: a
// 200,000-entry header parses in well under a second, where ordered_json's linear key lookups took 23 s) and takes
// the header's key order from a scan of the text (nlohmann's parser callback is quadratic in the number of keys).
using OrderedJson = nlohmann::ordered_json;
using Json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100000000;  // the limit the reference implementation enforces

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},     {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2},   {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},   {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},   {DType::F64, "F64", 8},   {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};

const DTypeEntry& dtype_entry(DType dtype) {
  for (const DTypeEntry& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  throw FileError("unknown DType value " + std::to_string(static_cast<int>(dtype)));
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string offsets_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Number of bytes a tensor of this dtype and shape occupies; false when it does not fit in 64 bits.
bool byte_count(DType dtype, const std::vector<int64_t>& shape, uint64_t* bytes) {
  // A zero anywhere makes the tensor empty even if the other dimensions would overflow when multiplied.
  if (std::find(shape.begin(), shape.end(), int64_t{0}) != shape.end()) {
    *bytes = 0;
    return true;
  }
  uint64_t numel = 1;
  for (int64_t dim : shape)
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel)) return false;
  if (numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;  // numel() is int64
  return !__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(dtype)), bytes);
}

// The keys of the top-level object of `text` in the order they appear: one linear scan that tracks strings and
// nesting; each key is decoded as a JSON string (escapes included). *end receives the index just past the object.
// nlohmann's parser stops at a NUL byte as if the input ended there, so the caller checks what follows *end.
std::vector<std::string> top_level_keys(const std::string& text, size_t* end) {
  std::vector<std::string> keys;
  int depth = 0;
  bool expect_key = false;
  *end = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '"') {
      size_t close = i + 1;
      while (close < text.size() && text[close] != '"') close += text[close] == '\\' ? 2 : 1;
      if (depth == 1 && expect_key) {
        const Json key = Json::parse(text.substr(i, close - i + 1), nullptr, /*allow_exceptions=*/false);
        if (!key.is_string()) throw FileError("a header key is not a JSON string");
        keys.push_back(key.get<std::string>());
      }
      expect_key = false;
      i = close;
    } else if (ch == '{' || ch == '[') {
      ++depth;
      expect_key = ch == '{' && depth == 1;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) {
        *end = i + 1;
        break;
      }
    } else if (ch == ',' && depth == 1) {
      expect_key = true;
    }
  }
  return keys;
}

// Parses one header entry; `fail` throws with the file path and tensor name in front of the reason.
template <typename Fail>
TensorInfo parse_tensor_entry(const std::string& name, const Json& entry, const Fail& fail) {
  if (!entry.is_object()) fail("is not a JSON object");
  TensorInfo info;
  info.name = name;

  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) fail("has no \"dtype\" string");
  if (!dtype_from_name(dtype_it->get<std::string>(), &info.dtype))
    fail("unknown dtype '" + dtype_it->get<std::string>() + "'");

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) fail("\"shape\" is missing or not a list");
  for (const Json& dim : *shape_it) {
    // is_number_unsigned: nlohmann stores every non-negative integer literal as unsigned.
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      fail("\"shape\" is not a list of non-negative integers (found " + std::string(dim.type_name()) + ")");
    info.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }

  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned())
    fail("data_offsets must be two non-negative integers [begin, end]");
  info.begin = (*offsets_it)[0].get<uint64_t>();
  info.end = (*offsets_it)[1].get<uint64_t>();
  if (info.begin > info.end) fail("data_offsets " + offsets_text(info.begin, info.end) + " have begin > end");

  uint64_t needed = 0;
  if (!byte_count(info.dtype, info.shape, &needed))
    fail("shape " + shape_text(info.shape) + " has too many elements (overflows 64 bits)");
  if (info.end - info.begin != needed)
    fail("data_offsets " + offsets_text(info.begin, info.end) + " hold " + std::to_string(info.end - info.begin) +
         " bytes but " + dtype_name(info.dtype) + " " + shape_text(info.shape) + " needs " + std::to_string(needed));
  return info;
}

// Sorted by begin, tensors must cover [0, buffer_size) exactly once: no gaps, no overlaps, nothing after.
void check_tiling(const std::string& path, const std::vector<TensorInfo>& tensors, uint64_t buffer_size) {
  std::vector<const TensorInfo*> sorted;
  for (const TensorInfo& t : tensors) sorted.push_back(&t);
  // Ties on begin put empty tensors (begin == end) before the tensor that starts there, which is a valid tiling.
  std::stable_sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* t : sorted) {
    std::string here = "tensor '" + t->name + "' " + offsets_text(t->begin, t->end);
    std::string before = previous ? "tensor '" + previous->name + "' " + offsets_text(previous->begin, previous->end)
                                  : std::string("the start of the buffer");
    if (t->begin < covered)
      throw FileError(path + ": " + here + " overlaps " + before);
    if (t->begin > covered)
      throw FileError(path + ": gap of " + std::to_string(t->begin - covered) + " bytes between " + before +
                      " and " + here);
    covered = t->end;
    previous = t;
  }
  if (covered > buffer_size)
    throw FileError(path + ": the tensors need a " + std::to_string(covered) + "-byte data buffer but the file has " +
                    std::to_string(buffer_size) + ": the file is truncated");
  if (covered < buffer_size)
    throw FileError(path + ": " + std::to_string(buffer_size - covered) +
                    " trailing bytes after the last tensor (the tensors end at " + std::to_string(covered) +
                    ", the data buffer has " + std::to_string(buffer_size) + ")");
}

}  // namespace

const char* dtype_name(DType dtype) { return dtype_entry(dtype).name; }
size_t dtype_size(DType dtype) { return dtype_entry(dtype).size; }

bool dtype_from_name(const std::string& name, DType* out) {
  for (const DTypeEntry& entry : kDTypes) {
    if (name == entry.name) {
      *out = entry.dtype;
      return true;
    }
  }
  return false;
}

int64_t TensorInfo::numel() const {
  // An empty tensor may have other dimensions whose product overflows ([2^62, 4, 0] is legal): zero first. Otherwise
  // the header check (byte_count) has bounded the product.
  if (std::find(shape.begin(), shape.end(), int64_t{0}) != shape.end()) return 0;
  int64_t count = 1;  // rank 0 is a scalar
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; the regular-file check follows.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw FileError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw FileError(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileError(path + ": not a regular file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {  // also keeps mmap away from empty files, where it fails with EINVAL
    ::close(fd);
    throw FileError(path + ": the file is " + std::to_string(file_size) +
                    " bytes, too short to hold the 8-byte header length: truncated or not safetensors");
  }
  void* mapped = mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  int map_errno = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (mapped == MAP_FAILED) throw FileError(path + ": cannot mmap: " + std::strerror(map_errno));

  // Owned from here on, so every throw below unmaps through the destructor.
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = static_cast<const uint8_t*>(mapped);
  file->mapping_size_ = file_size;

  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | file->mapping_[i];  // little-endian on any host
  if (header_size > kMaxHeaderBytes)
    throw FileError(path + ": header length " + std::to_string(header_size) + " is over the limit of " +
                    std::to_string(kMaxHeaderBytes) + " bytes: the file is corrupt or not safetensors");
  if (header_size > file_size - 8)
    throw FileError(path + ": header length " + std::to_string(header_size) + " is past the end of the file (size " +
                    std::to_string(file_size) + "): the file is truncated or not safetensors");

  const char* header = reinterpret_cast<const char*>(file->mapping_ + 8);
  if (header_size == 0 || header[0] != '{')
    throw FileError(path + ": the header does not start with '{': not a safetensors file");
  Json root;
  try {
    root = Json::parse(header, header + header_size);  // trailing space padding is JSON whitespace
  } catch (const nlohmann::json::exception& e) {
    throw FileError(path + ": the header is not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw FileError(path + ": the header is not a JSON object");
  // The tensor names in header order; a name listed twice would make the file ambiguous (the parser keeps the last).
  const std::string header_text(header, header_size);
  size_t object_end = 0;
  std::vector<std::string> key_order;
  try {
    key_order = top_level_keys(header_text, &object_end);
  } catch (const FileError& e) {
    throw FileError(path + ": " + e.what());
  }
  // Only space padding may follow the header's object (the parser would also stop at a NUL and ignore the rest).
  if (header_text.find_first_not_of(" \t\r\n", object_end) != std::string::npos) {
    throw FileError(path + ": the header has bytes after its JSON object (only space padding may follow it)");
  }
  std::set<std::string> seen;
  for (const std::string& key : key_order) {
    if (!seen.insert(key).second) throw FileError(path + ": tensor '" + key + "' is listed twice in the header");
  }

  for (const std::string& key : key_order) {
    const Json& value = root.at(key);
    if (key == "__metadata__") {
      if (!value.is_object()) throw FileError(path + ": __metadata__ is not a JSON object");
      for (const auto& meta : value.items()) {
        if (!meta.value().is_string())
          throw FileError(path + ": __metadata__ value for key '" + meta.key() + "' is not a string");
        file->metadata_[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    auto fail = [&](const std::string& reason) { throw FileError(path + ": tensor '" + key + "': " + reason); };
    file->tensors_.push_back(parse_tensor_entry(key, value, fail));
  }

  const uint64_t buffer_size = file_size - 8 - header_size;
  check_tiling(path, file->tensors_, buffer_size);
  file->buffer_ = file->mapping_ + 8 + header_size;
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_) munmap(const_cast<uint8_t*>(mapping_), mapping_size_);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  // Linear: files hold at most ~1000 tensors and lookups happen once per weight at load time.
  for (const TensorInfo& tensor : tensors_)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

const uint8_t* SafetensorsFile::data(const TensorInfo& tensor) const { return buffer_ + tensor.begin; }

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string prefix = "cannot write " + path + ": ";

  OrderedJson header = OrderedJson::object();
  std::vector<uint64_t> sizes;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    const std::string what = prefix + "tensor '" + t.name + "' ";
    if (t.name == "__metadata__") throw FileError(what + "uses the reserved name __metadata__");
    if (!names.insert(t.name).second) throw FileError(what + "appears twice");
    for (int64_t dim : t.shape)
      if (dim < 0) throw FileError(what + "has a negative dimension in shape " + shape_text(t.shape));
    uint64_t bytes = 0;
    if (!byte_count(t.dtype, t.shape, &bytes) || offset + bytes < offset)
      throw FileError(what + "is too large (overflows 64 bits)");
    if (bytes > 0 && t.data == nullptr) throw FileError(what + "has no data but needs " + std::to_string(bytes) + " bytes");
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // e.g. a name that is not valid UTF-8
    throw FileError(prefix + e.what());
  }
  // Padding puts the data buffer at an 8-byte boundary, so readers can use the mapped tensors without copying.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  uint8_t length_bytes[8];
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<uint8_t>(uint64_t(header_text.size()) >> (8 * i));

  const std::string temp_path = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError(prefix + std::strerror(errno));
  auto fail_and_clean = [&](int err) {
    ::close(fd);
    ::unlink(temp_path.c_str());
    throw FileError(prefix + std::strerror(err));
  };
  auto write_all = [&](const void* data, uint64_t size) {
    const char* cursor = static_cast<const char*>(data);
    while (size > 0) {  // write() may stop short for large buffers or on signals
      ssize_t written = ::write(fd, cursor, size);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail_and_clean(written < 0 ? errno : EIO);
      cursor += written;
      size -= static_cast<uint64_t>(written);
    }
  };
  write_all(length_bytes, 8);
  write_all(header_text.data(), header_text.size());
  for (size_t i = 0; i < tensors.size(); ++i) write_all(tensors[i].data, sizes[i]);
  if (fsync(fd) != 0) fail_and_clean(errno);  // the rename below must never expose an unwritten file
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    throw FileError(prefix + std::strerror(err));
  }
  if (std::rename(temp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    throw FileError(prefix + std::strerror(err));
  }
}

}  // namespace diffscope
