// A small RAII layer over HDF5's C API for what slipway stores in HDF5: training data (tables
// and token arrays) and checkpoints. Datasets are written chunked with Fletcher-32 checksums,
// so a flipped bit on disk is a read error, not a silently different model.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::h5 {

class File {
 public:
  static Result<File> create(const std::string& path);  // truncates
  static Result<File> open_read(const std::string& path);
  File(File&& o) noexcept : id_(o.id_), path_(std::move(o.path_)) { o.id_ = -1; }
  File& operator=(File&&) = delete;
  ~File();

  const std::string& path() const { return path_; }

  // Datasets by path ("train/features"); intermediate groups are created. `dims` gives the shape.
  Status write(const std::string& name, const std::vector<float>& data,
               const std::vector<std::uint64_t>& dims);
  Status write(const std::string& name, const std::vector<std::int32_t>& data,
               const std::vector<std::uint64_t>& dims);
  Status write(const std::string& name, const std::vector<std::uint8_t>& data,
               const std::vector<std::uint64_t>& dims);

  bool has(const std::string& name) const;
  Result<std::vector<std::uint64_t>> shape(const std::string& name) const;
  Status read(const std::string& name, std::vector<float>* out) const;
  Status read(const std::string& name, std::vector<std::int32_t>* out) const;
  Status read(const std::string& name, std::vector<std::uint8_t>* out) const;

  // Attributes on the root group.
  Status set_attr(const std::string& name, const std::string& value);
  Status set_attr(const std::string& name, std::int64_t value);
  Result<std::string> attr_string(const std::string& name) const;
  Result<std::int64_t> attr_int(const std::string& name) const;

 private:
  File(hid_t id, std::string path) : id_(id), path_(std::move(path)) {}
  template <typename T>
  Status write_typed(const std::string& name, const T* data, size_t n,
                     const std::vector<std::uint64_t>& dims, hid_t type);
  template <typename T>
  Status read_typed(const std::string& name, std::vector<T>* out, hid_t type) const;
  hid_t id_ = -1;
  std::string path_;
};

}  // namespace slipway::h5
