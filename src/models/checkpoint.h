// Training checkpoints in HDF5: parameters, AdamW moments, step, sampler position, seed and the
// model's signature. Written to a temporary file and renamed (a crash never leaves half a
// checkpoint under the real name), by a background thread (the training step does not wait for
// the disk), and checksummed (h5file's Fletcher-32), so a corrupt file is refused on load.
//
// DIR/step-00000100.h5 ... and DIR/latest naming the newest; the oldest beyond `keep` are removed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace slipway::models {

// Where the data sampler stands (train/sampler.h): a checkpoint carries it so a resumed run takes
// the same rows it would have taken.
struct SamplerState {
  std::int64_t epoch = 0;
  std::int64_t offset = 0;  // rows of this epoch's permutation already used
};

struct CheckpointState {
  std::string signature;  // the model's shape: a checkpoint loads only into the same model
  std::int64_t step = 0;  // steps done
  SamplerState sampler;
  std::uint64_t seed = 0;
  std::vector<float> params, adam_m, adam_v;
  std::string meta;  // JSON: what the data said (features, classes, label, split)
};

Status write_checkpoint(const std::string& path, const CheckpointState& s);
Result<CheckpointState> read_checkpoint(const std::string& path);

// The newest checkpoint in `dir`, or nullopt when there is none yet.
Result<std::optional<std::string>> latest_checkpoint(const std::string& dir);

class CheckpointWriter {
 public:
  CheckpointWriter(std::string dir, int keep);
  ~CheckpointWriter();
  // Hands a snapshot to the writer thread; waits only if the previous one is still being written.
  void submit(CheckpointState s);
  // Waits for what is pending; the first error any write met, if any.
  Status flush();

 private:
  void loop();
  Status write_one(const CheckpointState& s);
  std::string dir_;
  int keep_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<CheckpointState> pending_;
  bool busy_ = false, stop_ = false;
  Status error_;
  std::thread thread_;
};

}  // namespace slipway::models
