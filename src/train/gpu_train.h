// The GPT trainer on NVIDIA GPUs (device: cuda): the same loop, sampler, checkpoints and metrics as
// the CPU trainer (train_loop.h), with the model in bf16 on the GPU (train/gpu/gpt_cuda.h) and
// gradients summed over ranks by NCCL. In a build without CUDA it returns an error saying so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/gpt.h"
#include "train/comm.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace slipway::train {

// True when this build has the CUDA path (it may still find no GPU at run time).
bool gpu_build();

Result<TrainResult> train_text_gpu(const models::GptShape& shape,
                                   const std::vector<std::uint8_t>& train,
                                   const std::vector<std::uint8_t>& valid, const TrainConfig& c,
                                   const TrainerOptions& opts, const Comm& comm,
                                   const std::string& meta);

}  // namespace slipway::train
