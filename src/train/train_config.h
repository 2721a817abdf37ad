// The trainer's configuration file (YAML), documented in docs/training.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::train {

struct TrainConfig {
  // model
  std::string model = "mlp";
  std::vector<int> hidden = {64};                        // mlp
  int layers = 4, width = 128, heads = 4, context = 64;  // gpt (byte-level tokens)
  int vocab = 256;                                       // gpt: output classes, 256 or more
  // data: an HDF5 file from `slipway data import`
  std::string data;
  // schedule of the run
  int batch_size = 32;     // global, over all ranks
  std::int64_t steps = 0;  // or epochs (one of them)
  double epochs = 0;
  std::uint64_t seed = 1;
  // AdamW with warmup + cosine decay
  double lr = 1e-3, min_lr_ratio = 0.1, weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
         grad_clip = 0.0;
  std::int64_t warmup = 0;
  // reporting and checkpoints
  std::int64_t log_every = 10, eval_every = 0;
  std::string checkpoint_dir;
  std::int64_t checkpoint_every = 0;
  int checkpoint_keep = 2;
  // data parallelism and kernels
  double bucket_mb = 4.0;
  std::string kernels = "fast";  // fast or reference
  int threads = 0;               // 0: OMP_NUM_THREADS / the library default
  std::string device = "cpu";

  std::string source_file;
};

// `overrides` are KEY=VALUE settings (`--set optimizer.lr=0.01`) applied over the file.
Result<TrainConfig> parse_train_config(const std::string& yaml_text, const std::string& file,
                                       const std::vector<std::string>& overrides = {});
Result<TrainConfig> load_train_config(const std::string& path,
                                      const std::vector<std::string>& overrides = {});

// Learning rate at a step (counting from 0): linear warmup, then cosine decay to lr·min_lr_ratio.
double learning_rate(const TrainConfig& c, std::int64_t step, std::int64_t total_steps);

}  // namespace slipway::train
