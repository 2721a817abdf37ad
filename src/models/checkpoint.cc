#include "models/checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "h5/h5file.h"

namespace slipway::models {

namespace fs = std::filesystem;

namespace {
// Checked on read, so a file of another kind, or of a layout this build does not know, is refused
// with a message instead of loading as garbage parameters.
constexpr const char* kFormat = "slipway-checkpoint";
constexpr std::int64_t kVersion = 1;
}  // namespace

Status write_checkpoint(const std::string& path, const CheckpointState& s) {
  std::string tmp = path + ".tmp";
  // The file is closed (end of this scope) before the rename, so the name only ever points at a
  // complete file.
  {
    auto f = h5::File::create(tmp);
    if (!f.ok()) return f.status();
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("format", std::string(kFormat)));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("version", kVersion));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("signature", s.signature));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("step", s.step));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("epoch", s.sampler.epoch));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("offset", s.sampler.offset));
    // As text: HDF5 attributes here are signed 64-bit, and a seed uses all 64 bits.
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("seed", std::to_string(s.seed)));
    SLIPWAY_RETURN_IF_ERROR(f->set_attr("meta", s.meta.empty() ? std::string("{}") : s.meta));
    SLIPWAY_RETURN_IF_ERROR(f->write("params", s.params, {s.params.size()}));
    SLIPWAY_RETURN_IF_ERROR(f->write("adam_m", s.adam_m, {s.adam_m.size()}));
    SLIPWAY_RETURN_IF_ERROR(f->write("adam_v", s.adam_v, {s.adam_v.size()}));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Failed("cannot move " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

Result<CheckpointState> read_checkpoint(const std::string& path) {
  auto f = h5::File::open_read(path);
  if (!f.ok())
    return InvalidInput("checkpoint " + path + " cannot be read: " + f.status().message());
  auto format = f->attr_string("format");
  if (!format.ok() || *format != kFormat)
    return InvalidInput(path + " is not a slipway checkpoint");
  auto version = f->attr_int("version");
  if (!version.ok() || *version != kVersion)
    return InvalidInput("checkpoint " + path + " has format version " +
                        (version.ok() ? std::to_string(*version) : "?") +
                        "; this slipway reads version " + std::to_string(kVersion));
  CheckpointState s;
  auto sig = f->attr_string("signature");
  auto step = f->attr_int("step");
  auto epoch = f->attr_int("epoch");
  auto offset = f->attr_int("offset");
  auto seed = f->attr_string("seed");
  if (!sig.ok() || !step.ok() || !epoch.ok() || !offset.ok() || !seed.ok())
    return InvalidInput("checkpoint " + path + " is incomplete (missing attributes)");
  s.signature = *sig;
  s.step = *step;
  s.sampler = {*epoch, *offset};
  char* end = nullptr;
  errno = 0;
  s.seed = std::strtoull(seed->c_str(), &end, 10);
  if (seed->empty() || *end != 0 || errno != 0)
    return InvalidInput("checkpoint " + path + " has a seed that is not a number: '" + *seed + "'");
  s.meta = f->attr_string("meta").value_or("{}");
  for (auto [name, vec] : std::vector<std::pair<const char*, std::vector<float>*>>{
           {"params", &s.params}, {"adam_m", &s.adam_m}, {"adam_v", &s.adam_v}}) {
    Status st = f->read(name, vec);
    if (!st.ok()) return InvalidInput("checkpoint " + path + ": " + st.message());
  }
  if (s.adam_m.size() != s.params.size() || s.adam_v.size() != s.params.size())
    return InvalidInput("checkpoint " + path +
                        " is inconsistent: optimizer state and parameters differ in size");
  return s;
}

// DIR/latest is written (atomically) after the step file it names is complete, so a crash between
// the two leaves it naming the previous checkpoint, never a half-written one.
Result<std::optional<std::string>> latest_checkpoint(const std::string& dir) {
  std::string pointer = (fs::path(dir) / "latest").string();
  if (!fs::exists(pointer)) return std::optional<std::string>();
  auto name = read_file(pointer);
  if (!name.ok()) return name.status();
  std::string file = (fs::path(dir) / trim(*name)).string();
  if (!fs::exists(file))
    return InvalidInput(pointer + " names " + trim(*name) + ", which is missing");
  return std::optional<std::string>(file);
}

CheckpointWriter::CheckpointWriter(std::string dir, int keep)
    : dir_(std::move(dir)), keep_(keep), thread_([this] { loop(); }) {}

CheckpointWriter::~CheckpointWriter() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

// One snapshot in flight at most: training runs ahead of the disk by one checkpoint, never more,
// so memory stays at two copies of the state however slow the file system is.
void CheckpointWriter::submit(CheckpointState s) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !pending_ && !busy_; });
  pending_ = std::move(s);
  cv_.notify_all();
}

Status CheckpointWriter::flush() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !pending_ && !busy_; });
  return error_;
}

void CheckpointWriter::loop() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return pending_ || stop_; });
    if (!pending_) return;
    CheckpointState s = std::move(*pending_);
    pending_.reset();
    busy_ = true;
    l.unlock();
    Status st = write_one(s);
    l.lock();
    busy_ = false;
    // The first failure is kept for flush(); training goes on meanwhile (a later checkpoint may
    // succeed), and the trainer fails with it when it flushes at the end.
    if (!st.ok() && error_.ok()) error_ = st;
    cv_.notify_all();
  }
}

Status CheckpointWriter::write_one(const CheckpointState& s) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  char name[64];
  std::snprintf(name, sizeof name, "step-%08lld.h5", static_cast<long long>(s.step));
  SLIPWAY_RETURN_IF_ERROR(write_checkpoint((fs::path(dir_) / name).string(), s));
  SLIPWAY_RETURN_IF_ERROR(
      write_file_atomic((fs::path(dir_) / "latest").string(), std::string(name) + "\n"));
  std::vector<std::string> all;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string f = e.path().filename().string();
    if (starts_with(f, "step-") && f.size() > 3 && f.substr(f.size() - 3) == ".h5")
      all.push_back(f);
  }
  // Zero-padded step numbers sort by name in step order; the newest `keep_` stay.
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i + static_cast<size_t>(keep_) < all.size(); ++i)
    fs::remove(fs::path(dir_) / all[i], ec);
  return Status::Ok();
}

}  // namespace slipway::models
