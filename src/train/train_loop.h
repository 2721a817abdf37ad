// The training loop and what it is generic over: the task (how a batch is built from sampled rows
// and how its loss counts: tables for the MLP, token windows for the GPT) and the state (where the
// parameters, gradients and optimizer moments live: host memory here, GPU memory in
// train/gpu/device_state.h). The CPU and GPU trainers share every line of it: sampling,
// checkpoints, resume, logging, metrics and timing.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/files.h"
#include "core/json.h"
#include "core/status.h"
#include "kernels/cpu/fast_ops.h"
#include "models/checkpoint.h"
#include "models/ops.h"
#include "store/store.h"
#include "train/comm.h"
#include "train/sampler.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace slipway::train {

using TrainClock = std::chrono::steady_clock;

struct TableSplit {
  std::vector<float> x;
  std::vector<std::int32_t> y;
  std::uint64_t rows = 0;
  int features = 0;
};

// Parameters, gradients and AdamW moments in host memory, with the CPU kernels and MPI.
class HostState {
 public:
  HostState(const Comm& comm, std::vector<std::uint8_t> decay, size_t bucket_bytes)
      : decay_(std::move(decay)),
        params_(decay_.size()),
        grads_(decay_.size()),
        m_(decay_.size()),
        v_(decay_.size()),
        reducer_(comm, grads_.data(), grads_.size(), bucket_bytes) {}

  void load(const std::vector<float>& params, const std::vector<float>& m,
            const std::vector<float>& v) {
    std::copy(params.begin(), params.end(), params_.begin());
    std::copy(m.begin(), m.end(), m_.begin());
    std::copy(v.begin(), v.end(), v_.begin());
  }
  void save(std::vector<float>* params, std::vector<float>* m, std::vector<float>* v) const {
    *params = params_;
    *m = m_;
    *v = v_;
  }
  const float* weights() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  void begin_step() {
    std::fill(grads_.begin(), grads_.end(), 0.0f);
    reducer_.begin_step();
  }
  void ready(size_t offset, size_t size) { reducer_.ready(offset, size); }
  void finish_step() { reducer_.finish(); }
  double grad_sum_squares() const {
    return kernels::fast::sum_squares(grads_.data(), grads_.size());
  }
  void scale_grads(float s) { kernels::fast::scale(grads_.data(), grads_.size(), s); }
  void adamw(float lr, const TrainConfig& c, std::int64_t step) {
    kernels::fast::adamw(params_.data(), grads_.data(), m_.data(), v_.data(), params_.size(), lr,
                         static_cast<float>(c.beta1), static_cast<float>(c.beta2),
                         static_cast<float>(c.eps), static_cast<float>(c.weight_decay), step,
                         decay_.data());
  }
  double exposed_seconds() const { return reducer_.exposed_seconds(); }
  std::vector<std::pair<std::string, double>> device_metrics() const { return {}; }

 private:
  std::vector<std::uint8_t> decay_;
  std::vector<float> params_, grads_, m_, v_;
  GradientReducer reducer_;
};

inline size_t bucket_bytes(const TrainConfig& c) {
  return static_cast<size_t>(c.bucket_mb * 1024 * 1024);
}

// 1 where weight decay applies (matrices), 0 elsewhere (biases, LayerNorm), per parameter element.
template <typename Model>
std::vector<std::uint8_t> decay_mask(const Model& model) {
  std::vector<std::uint8_t> decay(model.num_params(), 1);
  for (const auto& p : model.params())
    if (!p.decay)
      std::fill(decay.begin() + static_cast<std::ptrdiff_t>(p.offset),
                decay.begin() + static_cast<std::ptrdiff_t>(p.offset + p.size), 0);
  return decay;
}

inline std::string format_eta(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  int s = static_cast<int>(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ds", s);
  return buf;
}

// Metrics of a run that is a pipeline task go to the store as well, with their step, so a
// run's curves can be read while it trains (slipway sets these variables for its tasks). The
// store is opened once, on first use; a store that cannot be opened costs the metrics, not the run.
class MetricsSink {
 public:
  void record(const std::vector<std::pair<std::string, double>>& metrics, std::int64_t step) {
    if (!tried_) open();
    if (!store_) return;
    for (const auto& [name, value] : metrics)
      if (Status s = store_->add_metric({run_, task_, name, value, step}); !s.ok() && !warned_) {
        // Like a store that cannot be opened, this costs the live curves, not the training run.
        std::fprintf(stderr, "warning: metrics are not reaching the store: %s\n",
                     s.message().c_str());
        warned_ = true;
      }
  }

 private:
  void open() {
    tried_ = true;
    const char* run = std::getenv("SLIPWAY_RUN_ID");
    const char* task = std::getenv("SLIPWAY_TASK");
    const char* home = std::getenv("SLIPWAY_HOME");
    if (!run || !task || !home) return;
    auto s = store::Store::open(home);
    if (!s.ok()) return;
    store_ = std::move(*s);
    run_ = run;
    task_ = task;
  }
  bool tried_ = false, warned_ = false;
  std::unique_ptr<store::Store> store_;
  std::string run_, task_;
};

// What differs between models: how a batch is built from sampled rows, and how a loss is
// counted. A row is a table row (MLP) or a window of context + 1 tokens (GPT); a row's loss
// counts `units` terms (1 for a row, context for a window).
template <typename Model>
struct TableTask {
  Model& model;
  const TableSplit& train;
  const TableSplit& valid;
  std::vector<float> x;
  std::vector<std::int32_t> y;
  static constexpr const char* kUnit = "samples";
  static constexpr bool kHasAccuracy = true;
  std::uint64_t rows() const { return train.rows; }
  int units() const { return 1; }
  template <typename State>
  float step(const std::vector<std::uint64_t>& rows, State& state, float scale,
             const models::GradReady& ready) {
    const int F = train.features;
    x.resize(rows.size() * static_cast<size_t>(F));
    y.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(
          train.x.begin() + static_cast<std::ptrdiff_t>(rows[i] * static_cast<std::uint64_t>(F)), F,
          x.begin() + static_cast<std::ptrdiff_t>(i * static_cast<size_t>(F)));
      y[i] = train.y[rows[i]];
    }
    return model.forward_backward(x.data(), y.data(), static_cast<int>(rows.size()),
                                  state.weights(), state.grads(), scale, ready);
  }
  // Loss sum, correct predictions and units over this rank's share of the validation rows.
  template <typename State>
  std::array<double, 3> evaluate(State& state, int rank, int world) {
    const int F = valid.features;
    std::vector<float> vx;
    std::vector<std::int32_t> vy;
    for (std::uint64_t r = static_cast<std::uint64_t>(rank); r < valid.rows;
         r += static_cast<std::uint64_t>(world)) {
      vx.insert(vx.end(), valid.x.begin() + static_cast<std::ptrdiff_t>(r * F),
                valid.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * F));
      vy.push_back(valid.y[r]);
    }
    int correct = 0;
    double loss = vy.empty() ? 0.0
                             : model.evaluate(vx.data(), vy.data(), static_cast<int>(vy.size()),
                                              state.weights(), &correct);
    return {loss, static_cast<double>(correct), static_cast<double>(vy.size())};
  }
};

template <typename Model>
struct TextTask {
  Model& model;
  const std::vector<std::uint8_t>& train;
  const std::vector<std::uint8_t>& valid;
  int context;
  std::vector<std::int32_t> tokens;
  static constexpr const char* kUnit = "tokens";
  static constexpr bool kHasAccuracy = false;
  // Non-overlapping windows of context + 1 tokens (the last token of one is the first of the next).
  std::uint64_t rows() const {
    return train.size() > 1 ? (train.size() - 1) / static_cast<std::uint64_t>(context) : 0;
  }
  int units() const { return context; }
  void window(const std::vector<std::uint8_t>& src, std::uint64_t row, std::int32_t* out) const {
    for (int t = 0; t <= context; ++t)
      out[t] = src[row * static_cast<std::uint64_t>(context) + static_cast<std::uint64_t>(t)];
  }
  template <typename State>
  float step(const std::vector<std::uint64_t>& rows, State& state, float scale,
             const models::GradReady& ready) {
    tokens.resize(rows.size() * static_cast<size_t>(context + 1));
    for (size_t i = 0; i < rows.size(); ++i)
      window(train, rows[i], tokens.data() + i * static_cast<size_t>(context + 1));
    return model.forward_backward(tokens.data(), static_cast<int>(rows.size()), context,
                                  state.weights(), state.grads(), scale, ready);
  }
  template <typename State>
  std::array<double, 3> evaluate(State& state, int rank, int world) {
    std::uint64_t windows =
        valid.size() > 1 ? (valid.size() - 1) / static_cast<std::uint64_t>(context) : 0;
    double loss = 0, count = 0;
    std::vector<std::int32_t> w(static_cast<size_t>(context + 1));
    for (std::uint64_t r = static_cast<std::uint64_t>(rank); r < windows;
         r += static_cast<std::uint64_t>(world)) {
      window(valid, r, w.data());
      loss += model.evaluate(w.data(), 1, context, state.weights());
      count += context;
    }
    return {loss, 0.0, count};
  }
};

// The training loop, whatever the model, the data and the device: `state` holds the parameters,
// gradients and AdamW moments (HostState below, or the GPU's DeviceState) and sums gradients over
// ranks as backward reports them final.
template <typename Model, typename Task, typename State>
Result<TrainResult> run_loop(Model& model, Task& task, State& state, const TrainConfig& c,
                             const TrainerOptions& opts, const Comm& comm,
                             const std::string& meta) {
  const int rank = comm.rank(), world = comm.world();
  const size_t n = model.num_params();
  {
    std::vector<float> init(n);
    model.init(init.data(), c.seed);
    state.load(init, std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f));
  }
  DistributedSampler sampler(task.rows(), c.batch_size, world, c.seed);
  std::int64_t step = 0;
  if (opts.resume && !c.checkpoint_dir.empty()) {
    auto latest = models::latest_checkpoint(c.checkpoint_dir);
    if (!latest.ok()) return latest.status();
    if (*latest) {
      auto ck = models::read_checkpoint(**latest);
      if (!ck.ok()) return ck.status();
      if (ck->signature != model.signature())
        return InvalidInput("checkpoint " + **latest + " is of model " + ck->signature +
                            ", but this config builds " + model.signature() +
                            "; point checkpoint.dir elsewhere or match the model");
      if (ck->seed != c.seed)
        return InvalidInput("checkpoint " + **latest + " was trained with seed " +
                            std::to_string(ck->seed) + ", this config has " +
                            std::to_string(c.seed) + "; resuming would not continue the same run");
      state.load(ck->params, ck->adam_m, ck->adam_v);
      sampler.restore(ck->sampler);
      step = ck->step;
      if (rank == 0)
        std::fprintf(stderr, "slipway train: resumed from %s at step %lld\n",
                     latest->value().c_str(), static_cast<long long>(step));
    }
  }
  const std::int64_t total =
      c.steps > 0 ? c.steps
                  : static_cast<std::int64_t>(
                        std::ceil(c.epochs * static_cast<double>(sampler.steps_per_epoch())));
  std::optional<models::CheckpointWriter> writer;
  if (rank == 0 && !c.checkpoint_dir.empty()) writer.emplace(c.checkpoint_dir, c.checkpoint_keep);
  auto snapshot = [&] {
    models::CheckpointState s{model.signature(), step, sampler.state(), c.seed, {}, {}, {}, meta};
    state.save(&s.params, &s.adam_m, &s.adam_v);
    return s;
  };

  const double units_per_step = static_cast<double>(c.batch_size) * task.units();
  bool tty = opts.progress && rank == 0 && isatty(STDERR_FILENO);
  MetricsSink sink;
  TrainResult result;
  result.world = world;
  result.unit = Task::kUnit;
  double window_loss = 0;
  int window_steps = 0;
  auto window_start = TrainClock::now();
  auto run_start = TrainClock::now();
  std::int64_t start_step = step;

  auto evaluate = [&]() {
    // Each rank takes every world-th validation row; the sums are then added over ranks.
    auto [loss, correct, units] = task.evaluate(state, rank, world);
    double total_loss = comm.sum(loss), total_correct = comm.sum(correct),
           total_units = comm.sum(units);
    result.valid_loss = total_units > 0 ? total_loss / total_units : 0;
    result.valid_accuracy = total_units > 0 ? total_correct / total_units : 0;
  };

  const std::int64_t end = opts.stop_at > 0 ? std::min(opts.stop_at, total) : total;
  // Steady state for benchmarks: the steps after a short warm-up, timed without evaluation,
  // logging and checkpoints.
  const std::int64_t warm = std::min<std::int64_t>(10, (end - step) / 5);
  double steady_seconds = 0, steady_exposed_start = 0;
  std::int64_t steady_steps = 0;
  while (step < end) {
    auto step_start = TrainClock::now();
    if (step - start_step == warm) steady_exposed_start = state.exposed_seconds();
    double lr = learning_rate(c, step, total);
    std::vector<std::uint64_t> rows = sampler.next(rank);
    state.begin_step();
    float loss = task.step(rows, state, static_cast<float>(1.0 / units_per_step),
                           [&](size_t off, size_t size) { state.ready(off, size); });
    state.finish_step();
    double mean_loss = comm.sum(loss) / units_per_step;
    double norm = std::sqrt(state.grad_sum_squares());
    if (c.grad_clip > 0 && norm > c.grad_clip)
      state.scale_grads(static_cast<float>(c.grad_clip / norm));
    ++step;
    state.adamw(static_cast<float>(lr), c, step);
    if (step - start_step > warm) {
      steady_seconds += std::chrono::duration<double>(TrainClock::now() - step_start).count();
      ++steady_steps;
    }
    window_loss += mean_loss;
    ++window_steps;
    bool last = step == end;
    if (step % c.log_every == 0 || last) {
      double secs = std::chrono::duration<double>(TrainClock::now() - window_start).count();
      double rate = secs > 0 ? window_steps * units_per_step / secs : 0;
      result.train_loss = window_loss / window_steps;
      double elapsed = std::chrono::duration<double>(TrainClock::now() - run_start).count();
      double eta = step > start_step ? elapsed / static_cast<double>(step - start_step) *
                                           static_cast<double>(total - step)
                                     : 0;
      if (rank == 0) {
        // name=value pairs: what Katib's default StdOut collector reads.
        std::printf("step=%lld epoch=%lld loss=%.6f lr=%.6g grad_norm=%.4f %s_per_sec=%.1f\n",
                    static_cast<long long>(step), static_cast<long long>(sampler.state().epoch),
                    result.train_loss, lr, norm, Task::kUnit, rate);
        std::fflush(stdout);
        sink.record({{"train_loss", result.train_loss},
                     {"lr", lr},
                     {std::string(Task::kUnit) + "_per_second", rate}},
                    step);
        if (tty)
          std::fprintf(stderr, "\r[%lld/%lld] loss %.4f  %.0f %s/s  ETA %s   ",
                       static_cast<long long>(step), static_cast<long long>(total),
                       result.train_loss, rate, Task::kUnit, format_eta(eta).c_str());
      }
      window_loss = 0;
      window_steps = 0;
      window_start = TrainClock::now();
    }
    if ((c.eval_every > 0 && step % c.eval_every == 0) || last) {
      evaluate();
      if (rank == 0) {
        if (Task::kHasAccuracy)
          std::printf("step=%lld valid_loss=%.6f valid_accuracy=%.4f\n",
                      static_cast<long long>(step), result.valid_loss, result.valid_accuracy);
        else
          std::printf("step=%lld valid_loss=%.6f\n", static_cast<long long>(step),
                      result.valid_loss);
        std::fflush(stdout);
        if (Task::kHasAccuracy)
          sink.record(
              {{"valid_loss", result.valid_loss}, {"valid_accuracy", result.valid_accuracy}}, step);
        else
          sink.record({{"valid_loss", result.valid_loss}}, step);
      }
    }
    if (writer && ((c.checkpoint_every > 0 && step % c.checkpoint_every == 0) || last))
      writer->submit(snapshot());
  }
  if (tty) std::fputc('\n', stderr);
  double secs = std::chrono::duration<double>(TrainClock::now() - run_start).count();
  result.steps = step;
  result.samples_per_second =
      secs > 0 ? static_cast<double>(step - start_step) * units_per_step / secs : 0;
  result.exposed_comm_seconds = state.exposed_seconds();
  // Rank 0's view; the slowest rank sets the pace, so take the maximum over ranks.
  double steady_step =
      steady_steps > 0 ? comm.max(steady_seconds / static_cast<double>(steady_steps)) : 0;
  double steady_exposed = steady_steps > 0
                              ? comm.max((state.exposed_seconds() - steady_exposed_start) /
                                         static_cast<double>(steady_steps))
                              : 0;
  if (writer) SLIPWAY_RETURN_IF_ERROR(writer->flush());
  if (rank == 0 && !opts.params_out.empty())
    SLIPWAY_RETURN_IF_ERROR(models::write_checkpoint(opts.params_out, snapshot()));
  if (rank == 0 && !opts.metrics_out.empty()) {
    Json metrics = {{"train_loss", result.train_loss},
                    {"valid_loss", result.valid_loss},
                    {"valid_accuracy", result.valid_accuracy},
                    {"samples_per_second", result.samples_per_second},
                    {"steps", result.steps},
                    {"ranks", world}};
    for (const auto& [name, value] : state.device_metrics()) metrics[name] = value;
    if (opts.timing) {
      // For `slipway bench scaling`: steady-state step time, the part of it spent waiting for
      // gradient all-reduces, what a step moves, and the network measured on the spot.
      metrics["step_seconds"] = steady_step;
      metrics["exposed_comm_seconds_per_step"] = steady_exposed;
      metrics["units_per_step"] = units_per_step;
      metrics["gradient_bytes"] = static_cast<double>(n * sizeof(float));
      if (world > 1) {
        auto [alpha, bandwidth] = measure_allreduce(comm);
        metrics["allreduce_alpha_seconds"] = alpha;
        metrics["allreduce_bandwidth_bytes_per_second"] = bandwidth;
      }
    }
    SLIPWAY_RETURN_IF_ERROR(write_file_atomic(opts.metrics_out, dump_json(metrics, 2)));
  } else if (opts.timing && world > 1) {
    measure_allreduce(comm);  // every rank takes part in the collective
  }
  return result;
}

}  // namespace slipway::train
