// The data-parallel training loop: one process per rank (under mpirun, srun or slipway launch),
// each with the whole model, its share of every global batch, and gradients summed over ranks
// in buckets that overlap with backward. Training on N ranks computes what 1 rank computes with
// the same global batch (up to the order of float additions).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "train/comm.h"
#include "train/train_config.h"

namespace slipway::train {

struct TrainerOptions {
  bool resume = false;      // continue from the newest checkpoint in the checkpoint dir
  std::string metrics_out;  // write the final metrics here as JSON (a Metrics artifact)
  std::string params_out;   // write the final parameters here (a checkpoint file)
  bool progress = true;     // a live progress line on a terminal
  bool timing = false;      // steady-state timing and an all-reduce measurement in the metrics
  std::int64_t stop_at =
      0;  // stop (with a checkpoint) after this step, as if interrupted; 0: run to the end
};

struct TrainResult {
  std::int64_t steps = 0;  // steps done in total (including before a resume)
  double train_loss = 0;   // mean over the last logging window
  double valid_loss = 0, valid_accuracy = 0;
  double samples_per_second = 0;  // samples (tables) or tokens (text) per second
  std::string unit = "samples";
  double exposed_comm_seconds = 0;  // time rank 0 waited for gradient all-reduces
  int world = 1;
};

Result<TrainResult> train(const TrainConfig& config, const TrainerOptions& opts, const Comm& comm);

}  // namespace slipway::train
