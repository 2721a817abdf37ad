#include "h5/h5file.h"

#include <algorithm>
#include <mutex>

#include "core/strings.h"

namespace slipway::h5 {

namespace {

// HDF5 prints its own error stack to stderr by default; slipway reports errors itself.
void quiet() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

// Creates the groups on the way to `name` ("a/b/c" -> a, a/b).
Status make_parents(hid_t file, const std::string& name) {
  size_t pos = 0;
  while ((pos = name.find('/', pos + 1)) != std::string::npos) {
    std::string g = name.substr(0, pos);
    if (H5Lexists(file, g.c_str(), H5P_DEFAULT) > 0) continue;
    hid_t gid = H5Gcreate2(file, g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (gid < 0) return Failed("cannot create group " + g);
    H5Gclose(gid);
  }
  return Status::Ok();
}

}  // namespace

Result<File> File::create(const std::string& path) {
  quiet();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) return Failed("cannot create HDF5 file " + path);
  return File(id, path);
}

Result<File> File::open_read(const std::string& path) {
  quiet();
  if (H5Fis_hdf5(path.c_str()) <= 0)
    return InvalidInput(path + " is not a readable HDF5 file (missing, truncated or not HDF5)");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) return InvalidInput("cannot open HDF5 file " + path);
  return File(id, path);
}

File::~File() {
  if (id_ >= 0) H5Fclose(id_);
}

template <typename T>
Status File::write_typed(const std::string& name, const T* data, size_t n,
                         const std::vector<std::uint64_t>& dims, hid_t type) {
  std::uint64_t total = 1;
  for (auto d : dims) total *= d;
  if (total != n) return InvalidInput("dataset " + name + ": shape does not match the data");
  SLIPWAY_RETURN_IF_ERROR(make_parents(id_, name));
  std::vector<hsize_t> hd(dims.begin(), dims.end());
  Handle space{H5Screate_simple(static_cast<int>(hd.size()), hd.data(), nullptr), H5Sclose};
  Handle plist{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  if (n > 0) {
    // Chunks of about 1 MiB along the first dimension, each with a checksum.
    std::vector<hsize_t> chunk = hd;
    std::uint64_t row = n / std::max<std::uint64_t>(1, dims[0]);
    chunk[0] =
        std::clamp<hsize_t>((1u << 20) / sizeof(T) / std::max<std::uint64_t>(1, row), 1, hd[0]);
    H5Pset_chunk(plist.id, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_fletcher32(plist.id);
  }
  Handle ds{H5Dcreate2(id_, name.c_str(), type, space.id, H5P_DEFAULT, plist.id, H5P_DEFAULT),
            H5Dclose};
  if (ds.id < 0) return Failed("cannot create dataset " + name + " in " + path_);
  if (n > 0 && H5Dwrite(ds.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    return Failed("cannot write dataset " + name + " in " + path_);
  return Status::Ok();
}

Status File::write(const std::string& name, const std::vector<float>& d,
                   const std::vector<std::uint64_t>& dims) {
  return write_typed(name, d.data(), d.size(), dims, H5T_NATIVE_FLOAT);
}
Status File::write(const std::string& name, const std::vector<std::int32_t>& d,
                   const std::vector<std::uint64_t>& dims) {
  return write_typed(name, d.data(), d.size(), dims, H5T_NATIVE_INT32);
}
Status File::write(const std::string& name, const std::vector<std::uint8_t>& d,
                   const std::vector<std::uint64_t>& dims) {
  return write_typed(name, d.data(), d.size(), dims, H5T_NATIVE_UINT8);
}

bool File::has(const std::string& name) const {
  // H5Lexists needs every parent to exist.
  size_t pos = 0;
  while ((pos = name.find('/', pos + 1)) != std::string::npos)
    if (H5Lexists(id_, name.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  return H5Lexists(id_, name.c_str(), H5P_DEFAULT) > 0;
}

Result<std::vector<std::uint64_t>> File::shape(const std::string& name) const {
  if (!has(name)) return NotFound(path_ + " has no dataset '" + name + "'");
  Handle ds{H5Dopen2(id_, name.c_str(), H5P_DEFAULT), H5Dclose};
  if (ds.id < 0) return Failed("cannot open dataset " + name + " in " + path_);
  Handle space{H5Dget_space(ds.id), H5Sclose};
  int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0) return Failed("cannot read the shape of " + name);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return std::vector<std::uint64_t>(dims.begin(), dims.end());
}

template <typename T>
Status File::read_typed(const std::string& name, std::vector<T>* out, hid_t type) const {
  auto dims = shape(name);
  if (!dims.ok()) return dims.status();
  std::uint64_t n = 1;
  for (auto d : *dims) n *= d;
  out->assign(n, T{});
  if (n == 0) return Status::Ok();
  Handle ds{H5Dopen2(id_, name.c_str(), H5P_DEFAULT), H5Dclose};
  if (H5Dread(ds.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->data()) < 0)
    return InvalidInput("cannot read dataset " + name + " of " + path_ +
                        " (corrupt: its checksum or structure does not verify)");
  return Status::Ok();
}

Status File::read(const std::string& name, std::vector<float>* out) const {
  return read_typed(name, out, H5T_NATIVE_FLOAT);
}
Status File::read(const std::string& name, std::vector<std::int32_t>* out) const {
  return read_typed(name, out, H5T_NATIVE_INT32);
}
Status File::read(const std::string& name, std::vector<std::uint8_t>* out) const {
  return read_typed(name, out, H5T_NATIVE_UINT8);
}

Status File::set_attr(const std::string& name, const std::string& value) {
  Handle type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, std::max<size_t>(1, value.size()));
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  if (H5Aexists(id_, name.c_str()) > 0) H5Adelete(id_, name.c_str());
  Handle a{H5Acreate2(id_, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  if (a.id < 0 || H5Awrite(a.id, type.id, padded.data()) < 0)
    return Failed("cannot write attribute " + name);
  return Status::Ok();
}

Status File::set_attr(const std::string& name, std::int64_t value) {
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  if (H5Aexists(id_, name.c_str()) > 0) H5Adelete(id_, name.c_str());
  Handle a{H5Acreate2(id_, name.c_str(), H5T_NATIVE_INT64, space.id, H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose};
  if (a.id < 0 || H5Awrite(a.id, H5T_NATIVE_INT64, &value) < 0)
    return Failed("cannot write attribute " + name);
  return Status::Ok();
}

Result<std::string> File::attr_string(const std::string& name) const {
  if (H5Aexists(id_, name.c_str()) <= 0)
    return NotFound(path_ + " has no attribute '" + name + "'");
  Handle a{H5Aopen(id_, name.c_str(), H5P_DEFAULT), H5Aclose};
  Handle type{H5Aget_type(a.id), H5Tclose};
  if (H5Tget_class(type.id) != H5T_STRING)
    return InvalidInput("attribute '" + name + "' of " + path_ + " is not text");
  size_t size = H5Tget_size(type.id);
  std::string s(size, '\0');
  Handle mem{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(mem.id, size);
  if (H5Aread(a.id, mem.id, s.data()) < 0) return Failed("cannot read attribute " + name);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

Result<std::int64_t> File::attr_int(const std::string& name) const {
  if (H5Aexists(id_, name.c_str()) <= 0)
    return NotFound(path_ + " has no attribute '" + name + "'");
  Handle a{H5Aopen(id_, name.c_str(), H5P_DEFAULT), H5Aclose};
  std::int64_t v = 0;
  if (H5Aread(a.id, H5T_NATIVE_INT64, &v) < 0) return Failed("cannot read attribute " + name);
  return v;
}

}  // namespace slipway::h5
