// slipway-train: the trainer's own executable (it links MPI; the `slipway` CLI does not, and
// `slipway train` runs this). One process per rank, under mpirun, srun or `slipway launch`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "train/trainer.h"

namespace {

const char* kUsage =
    "usage: slipway train CONFIG.yaml [--set KEY=VALUE]... [--resume] [--data FILE] [--steps N] "
    "[--stop-at STEP]\n"
    "                     [--checkpoint-dir DIR] [--metrics-out FILE] [--params-out FILE] "
    "[--no-progress] [--timing]\n"
    "Runs one rank; start several with mpirun -n N, srun, or slipway launch --nproc N.\n";

}  // namespace

int main(int argc, char** argv) {
  slipway::train::Comm comm(&argc, &argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  slipway::train::TrainerOptions opts;
  std::string data, steps, ckpt_dir;
  std::vector<std::string> overrides;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "slipway train: %s needs a value\n%s", a.c_str(), kUsage);
        return false;
      }
      *out = args[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      if (comm.rank() == 0) std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--resume") {
      opts.resume = true;
    } else if (a == "--no-progress") {
      opts.progress = false;
    } else if (a == "--timing") {
      opts.timing = true;
    } else if (a == "--set") {
      std::string v;
      if (!value(&v)) return 2;
      overrides.push_back(v);
    } else if (a == "--data") {
      if (!value(&data)) return 2;
    } else if (a == "--steps") {
      if (!value(&steps)) return 2;
    } else if (a == "--stop-at") {
      std::string v;
      if (!value(&v)) return 2;
      opts.stop_at = std::atoll(v.c_str());
      if (opts.stop_at < 1) {
        std::fprintf(stderr, "slipway train: --stop-at must be at least 1\n");
        return 2;
      }
    } else if (a == "--checkpoint-dir") {
      if (!value(&ckpt_dir)) return 2;
    } else if (a == "--metrics-out") {
      if (!value(&opts.metrics_out)) return 2;
    } else if (a == "--params-out") {
      if (!value(&opts.params_out)) return 2;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "slipway train: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else if (config_path.empty()) {
      config_path = a;
    } else {
      std::fprintf(stderr, "slipway train: one config file, not also '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (const char* ws = std::getenv("WORLD_SIZE"); ws && std::atoi(ws) > 1 && comm.world() == 1) {
    std::fprintf(stderr,
                 "slipway train: started as one of %s ranks (WORLD_SIZE) but MPI sees a world of "
                 "1: the ranks were not started by an MPI "
                 "launcher. Use mpirun, srun --mpi=pmix, or slipway launch (which uses mpirun for "
                 "local ranks).\n",
                 ws);
    return 2;
  }
  auto config = slipway::train::load_train_config(config_path, overrides);
  if (!config.ok()) {
    std::fprintf(stderr, "slipway train: %s\n", config.status().message().c_str());
    return 2;
  }
  if (!data.empty()) config->data = data;
  if (!ckpt_dir.empty()) config->checkpoint_dir = ckpt_dir;
  if (!steps.empty()) {
    config->steps = std::atoll(steps.c_str());
    config->epochs = 0;
    if (config->steps < 1) {
      std::fprintf(stderr, "slipway train: --steps must be at least 1\n");
      return 2;
    }
  }
  auto result = slipway::train::train(*config, opts, comm);
  if (!result.ok()) {
    // Every rank meets the same configuration and data errors; one report is enough.
    if (comm.rank() == 0)
      std::fprintf(stderr, "slipway train: %s\n", result.status().message().c_str());
    return result.status().code() == slipway::ErrorCode::kInvalidInput ? 2 : 1;
  }
  if (comm.rank() == 0)
    std::fprintf(stderr, "slipway train: %lld steps on %d rank(s), %.1f %s/s, valid loss %.4f\n",
                 static_cast<long long>(result->steps), result->world, result->samples_per_second,
                 result->unit.c_str(), result->valid_loss);
  return 0;
}
