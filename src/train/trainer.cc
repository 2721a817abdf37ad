#include "train/trainer.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/files.h"
#include "h5/h5file.h"
#include "kernels/cpu/fast_ops.h"
#include "spec/types.h"
#include "store/store.h"
#include "train/checkpoint.h"
#include "train/gpt.h"
#include "train/mlp.h"
#include "train/sampler.h"

namespace slipway {

namespace {

using Clock = std::chrono::steady_clock;

struct TableSplit {
  std::vector<float> x;
  std::vector<std::int32_t> y;
  std::uint64_t rows = 0;
  int features = 0;
};

Result<TableSplit> read_split(const h5::File& f, const std::string& split) {
  TableSplit t;
  auto shape = f.shape(split + "/features");
  if (!shape.ok()) return InvalidInput(f.path() + " has no " + split + " table (" + shape.status().message() + ")");
  if (shape->size() != 2) return InvalidInput(f.path() + ": " + split + "/features is not a 2-D table");
  t.rows = (*shape)[0];
  t.features = static_cast<int>((*shape)[1]);
  SLIPWAY_RETURN_IF_ERROR(f.read(split + "/features", &t.x));
  SLIPWAY_RETURN_IF_ERROR(f.read(split + "/labels", &t.y));
  if (t.y.size() != t.rows) return InvalidInput(f.path() + ": " + split + " has " + std::to_string(t.rows) + " rows but " +
                                                std::to_string(t.y.size()) + " labels");
  return t;
}

std::string format_eta(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  int s = static_cast<int>(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ds", s);
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
    for (const auto& [name, value] : metrics) store_->add_metric({run_, task_, name, value, step});
  }

 private:
  void open() {
    tried_ = true;
    const char* run = std::getenv("SLIPWAY_RUN_ID");
    const char* task = std::getenv("SLIPWAY_TASK");
    const char* home = std::getenv("SLIPWAY_HOME");
    if (!run || !task || !home) return;
    auto s = Store::open(home);
    if (!s.ok()) return;
    store_ = std::move(*s);
    run_ = run;
    task_ = task;
  }
  bool tried_ = false;
  std::unique_ptr<Store> store_;
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
  float step(const std::vector<std::uint64_t>& rows, const float* p, float* g, float scale, const GradReady& ready) {
    const int F = train.features;
    x.resize(rows.size() * static_cast<size_t>(F));
    y.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(train.x.begin() + static_cast<std::ptrdiff_t>(rows[i] * static_cast<std::uint64_t>(F)), F, x.begin() + static_cast<std::ptrdiff_t>(i * static_cast<size_t>(F)));
      y[i] = train.y[rows[i]];
    }
    return model.forward_backward(x.data(), y.data(), static_cast<int>(rows.size()), p, g, scale, ready);
  }
  // Loss sum, correct predictions and units over this rank's share of the validation rows.
  std::array<double, 3> evaluate(const float* p, int rank, int world) {
    const int F = valid.features;
    std::vector<float> vx;
    std::vector<std::int32_t> vy;
    for (std::uint64_t r = static_cast<std::uint64_t>(rank); r < valid.rows; r += static_cast<std::uint64_t>(world)) {
      vx.insert(vx.end(), valid.x.begin() + static_cast<std::ptrdiff_t>(r * F), valid.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * F));
      vy.push_back(valid.y[r]);
    }
    int correct = 0;
    double loss = vy.empty() ? 0.0 : model.evaluate(vx.data(), vy.data(), static_cast<int>(vy.size()), p, &correct);
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
  std::uint64_t rows() const { return train.size() > 1 ? (train.size() - 1) / static_cast<std::uint64_t>(context) : 0; }
  int units() const { return context; }
  void window(const std::vector<std::uint8_t>& src, std::uint64_t row, std::int32_t* out) const {
    for (int t = 0; t <= context; ++t) out[t] = src[row * static_cast<std::uint64_t>(context) + static_cast<std::uint64_t>(t)];
  }
  float step(const std::vector<std::uint64_t>& rows, const float* p, float* g, float scale, const GradReady& ready) {
    tokens.resize(rows.size() * static_cast<size_t>(context + 1));
    for (size_t i = 0; i < rows.size(); ++i) window(train, rows[i], tokens.data() + i * static_cast<size_t>(context + 1));
    return model.forward_backward(tokens.data(), static_cast<int>(rows.size()), context, p, g, scale, ready);
  }
  std::array<double, 3> evaluate(const float* p, int rank, int world) {
    std::uint64_t windows = valid.size() > 1 ? (valid.size() - 1) / static_cast<std::uint64_t>(context) : 0;
    double loss = 0, count = 0;
    std::vector<std::int32_t> w(static_cast<size_t>(context + 1));
    for (std::uint64_t r = static_cast<std::uint64_t>(rank); r < windows; r += static_cast<std::uint64_t>(world)) {
      window(valid, r, w.data());
      loss += model.evaluate(w.data(), 1, context, p);
      count += context;
    }
    return {loss, 0.0, count};
  }
};

template <typename Model, typename Task>
Result<TrainResult> run_loop(Model& model, Task& task, const TrainConfig& c, const TrainerOptions& opts, const Comm& comm, const std::string& meta) {
  const int rank = comm.rank(), world = comm.world();
  const size_t n = model.num_params();
  std::vector<float> params(n), grads(n), m(n, 0.0f), v(n, 0.0f);
  std::vector<std::uint8_t> decay(n, 1);
  for (const auto& p : model.params())
    if (!p.decay) std::fill(decay.begin() + static_cast<std::ptrdiff_t>(p.offset), decay.begin() + static_cast<std::ptrdiff_t>(p.offset + p.size), 0);
  model.init(params.data(), c.seed);
  DistributedSampler sampler(task.rows(), c.batch_size, world, c.seed);
  std::int64_t step = 0;
  if (opts.resume && !c.checkpoint_dir.empty()) {
    auto latest = latest_checkpoint(c.checkpoint_dir);
    if (!latest.ok()) return latest.status();
    if (*latest) {
      auto ck = read_checkpoint(**latest);
      if (!ck.ok()) return ck.status();
      if (ck->signature != model.signature())
        return InvalidInput("checkpoint " + **latest + " is of model " + ck->signature + ", but this config builds " + model.signature() +
                            "; point checkpoint.dir elsewhere or match the model");
      if (ck->seed != c.seed)
        return InvalidInput("checkpoint " + **latest + " was trained with seed " + std::to_string(ck->seed) + ", this config has " +
                            std::to_string(c.seed) + "; resuming would not continue the same run");
      params = std::move(ck->params);
      m = std::move(ck->adam_m);
      v = std::move(ck->adam_v);
      sampler.restore(ck->sampler);
      step = ck->step;
      if (rank == 0) std::fprintf(stderr, "slipway train: resumed from %s at step %lld\n", latest->value().c_str(), static_cast<long long>(step));
    }
  }
  const std::int64_t total = c.steps > 0 ? c.steps : static_cast<std::int64_t>(std::ceil(c.epochs * static_cast<double>(sampler.steps_per_epoch())));
  GradientReducer reducer(comm, grads.data(), n, static_cast<size_t>(c.bucket_mb * 1024 * 1024));
  std::optional<CheckpointWriter> writer;
  if (rank == 0 && !c.checkpoint_dir.empty()) writer.emplace(c.checkpoint_dir, c.checkpoint_keep);
  auto snapshot = [&] { return CheckpointState{model.signature(), step, sampler.state(), c.seed, params, m, v, meta}; };

  const double units_per_step = static_cast<double>(c.batch_size) * task.units();
  bool tty = opts.progress && rank == 0 && isatty(STDERR_FILENO);
  MetricsSink sink;
  TrainResult result;
  result.world = world;
  result.unit = Task::kUnit;
  double window_loss = 0;
  int window_steps = 0;
  auto window_start = Clock::now();
  auto run_start = Clock::now();
  std::int64_t start_step = step;

  auto evaluate = [&]() {
    // Each rank takes every world-th validation row; the sums are then added over ranks.
    auto [loss, correct, units] = task.evaluate(params.data(), rank, world);
    double total_loss = comm.sum(loss), total_correct = comm.sum(correct), total_units = comm.sum(units);
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
    auto step_start = Clock::now();
    if (step - start_step == warm) steady_exposed_start = reducer.exposed_seconds();
    double lr = learning_rate(c, step, total);
    std::vector<std::uint64_t> rows = sampler.next(rank);
    std::fill(grads.begin(), grads.end(), 0.0f);
    reducer.begin_step();
    float loss = task.step(rows, params.data(), grads.data(), static_cast<float>(1.0 / units_per_step),
                           [&](size_t off, size_t size) { reducer.ready(off, size); });
    reducer.finish();
    double mean_loss = comm.sum(loss) / units_per_step;
    double norm = std::sqrt(kernels::fast::sum_squares(grads.data(), n));
    if (c.grad_clip > 0 && norm > c.grad_clip) kernels::fast::scale(grads.data(), n, static_cast<float>(c.grad_clip / norm));
    ++step;
    kernels::fast::adamw(params.data(), grads.data(), m.data(), v.data(), n, static_cast<float>(lr), static_cast<float>(c.beta1),
                         static_cast<float>(c.beta2), static_cast<float>(c.eps), static_cast<float>(c.weight_decay), step, decay.data());
    if (step - start_step > warm) {
      steady_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
      ++steady_steps;
    }
    window_loss += mean_loss;
    ++window_steps;
    bool last = step == end;
    if (step % c.log_every == 0 || last) {
      double secs = std::chrono::duration<double>(Clock::now() - window_start).count();
      double rate = secs > 0 ? window_steps * units_per_step / secs : 0;
      result.train_loss = window_loss / window_steps;
      double elapsed = std::chrono::duration<double>(Clock::now() - run_start).count();
      double eta = step > start_step ? elapsed / static_cast<double>(step - start_step) * static_cast<double>(total - step) : 0;
      if (rank == 0) {
        // name=value pairs: what Katib's default StdOut collector reads.
        std::printf("step=%lld epoch=%lld loss=%.6f lr=%.6g grad_norm=%.4f %s_per_sec=%.1f\n", static_cast<long long>(step),
                    static_cast<long long>(sampler.state().epoch), result.train_loss, lr, norm, Task::kUnit, rate);
        std::fflush(stdout);
        sink.record({{"train_loss", result.train_loss}, {"lr", lr}, {std::string(Task::kUnit) + "_per_second", rate}}, step);
        if (tty)
          std::fprintf(stderr, "\r[%lld/%lld] loss %.4f  %.0f %s/s  ETA %s   ", static_cast<long long>(step), static_cast<long long>(total),
                       result.train_loss, rate, Task::kUnit, format_eta(eta).c_str());
      }
      window_loss = 0;
      window_steps = 0;
      window_start = Clock::now();
    }
    if ((c.eval_every > 0 && step % c.eval_every == 0) || last) {
      evaluate();
      if (rank == 0) {
        if (Task::kHasAccuracy)
          std::printf("step=%lld valid_loss=%.6f valid_accuracy=%.4f\n", static_cast<long long>(step), result.valid_loss, result.valid_accuracy);
        else
          std::printf("step=%lld valid_loss=%.6f\n", static_cast<long long>(step), result.valid_loss);
        std::fflush(stdout);
        if (Task::kHasAccuracy) sink.record({{"valid_loss", result.valid_loss}, {"valid_accuracy", result.valid_accuracy}}, step);
        else sink.record({{"valid_loss", result.valid_loss}}, step);
      }
    }
    if (writer && ((c.checkpoint_every > 0 && step % c.checkpoint_every == 0) || last)) writer->submit(snapshot());
  }
  if (tty) std::fputc('\n', stderr);
  double secs = std::chrono::duration<double>(Clock::now() - run_start).count();
  result.steps = step;
  result.samples_per_second = secs > 0 ? static_cast<double>(step - start_step) * units_per_step / secs : 0;
  result.exposed_comm_seconds = reducer.exposed_seconds();
  // Rank 0's view; the slowest rank sets the pace, so take the maximum over ranks.
  double steady_step = steady_steps > 0 ? comm.max(steady_seconds / static_cast<double>(steady_steps)) : 0;
  double steady_exposed = steady_steps > 0 ? comm.max((reducer.exposed_seconds() - steady_exposed_start) / static_cast<double>(steady_steps)) : 0;
  if (writer) SLIPWAY_RETURN_IF_ERROR(writer->flush());
  if (rank == 0 && !opts.params_out.empty()) SLIPWAY_RETURN_IF_ERROR(write_checkpoint(opts.params_out, snapshot()));
  if (rank == 0 && !opts.metrics_out.empty()) {
    Json metrics = {{"train_loss", result.train_loss}, {"valid_loss", result.valid_loss}, {"valid_accuracy", result.valid_accuracy},
                    {"samples_per_second", result.samples_per_second}, {"steps", result.steps}, {"ranks", world}};
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

// The cross-entropy (nats per token) of predicting the validation text from the training text's
// byte frequencies alone: the bar a language model must clear.
double unigram_loss(const std::vector<std::uint8_t>& train, const std::vector<std::uint8_t>& valid) {
  std::array<double, 256> count{};
  for (auto b : train) count[b] += 1;
  double total = static_cast<double>(train.size()) + 256;  // add-one smoothing
  double loss = 0;
  for (auto b : valid) loss -= std::log((count[b] + 1) / total);
  return valid.empty() ? 0 : loss / static_cast<double>(valid.size());
}

Result<TrainResult> train_text(const h5::File& file, const TrainConfig& c, const TrainerOptions& opts, const Comm& comm) {
  std::vector<std::uint8_t> train, valid;
  SLIPWAY_RETURN_IF_ERROR(file.read("train/tokens", &train));
  SLIPWAY_RETURN_IF_ERROR(file.read("valid/tokens", &valid));
  GptShape shape{256, c.context, c.layers, c.width, c.heads};
  if (valid.size() < static_cast<size_t>(c.context) + 1)
    return InvalidInput("data " + c.data + " holds " + std::to_string(valid.size()) + " validation tokens, fewer than one window of " +
                        std::to_string(c.context + 1) + "; import with a larger --valid-fraction or use a smaller context");
  double baseline = unigram_loss(train, valid);
  if (comm.rank() == 0) {
    std::printf("unigram_loss=%.6f\n", baseline);
    std::fflush(stdout);
  }
  Json meta = {{"vocab", 256}, {"tokens", "bytes"}, {"unigram_loss", baseline}};
  auto run = [&](auto& model) -> Result<TrainResult> {
    TextTask<std::remove_reference_t<decltype(model)>> task{model, train, valid, c.context, {}};
    SLIPWAY_RETURN_IF_ERROR(DistributedSampler::check(task.rows(), c.batch_size, comm.world()));
    return run_loop(model, task, c, opts, comm, meta.dump());
  };
  if (c.kernels == "reference") {
    Gpt<float, RefOps> model(shape);
    return run(model);
  }
  Gpt<float, FastOps> model(shape);
  return run(model);
}

}  // namespace

Result<TrainResult> train(const TrainConfig& c, const TrainerOptions& opts, const Comm& comm) {
  if (c.data.empty()) return InvalidInput(c.source_file + ": no data: set 'data' in the config or pass --data FILE");
  if (c.checkpoint_every > 0 && c.checkpoint_dir.empty())
    return InvalidInput(c.source_file + ": checkpoint.every needs a checkpoint directory (checkpoint.dir or --checkpoint-dir)");
  if (opts.resume && c.checkpoint_dir.empty())
    return InvalidInput("--resume needs a checkpoint directory (checkpoint.dir or --checkpoint-dir)");
  int threads = c.threads;
  if (threads == 0 && std::getenv("OMP_NUM_THREADS")) threads = std::atoi(std::getenv("OMP_NUM_THREADS"));
  kernels::fast::set_threads(threads);
  auto file = h5::File::open_read(c.data);
  if (!file.ok()) return InvalidInput("data: " + file.status().message() + "; create it with `slipway data import`");
  auto kind = file->attr_string("kind");
  std::string want = c.model == "gpt" ? "text" : "table";
  if (!kind.ok() || *kind != want)
    return InvalidInput("data " + c.data + " is " + (kind.ok() ? "a " + *kind + " dataset" : "not from `slipway data import`") +
                        "; the " + c.model + " model trains on " + (want == "text" ? "text (`slipway data import text`)" : "a table (`slipway data import table`)"));
  if (c.model == "gpt") return train_text(*file, c, opts, comm);
  auto train_set = read_split(*file, "train");
  if (!train_set.ok()) return train_set.status();
  auto valid_set = read_split(*file, "valid");
  if (!valid_set.ok()) return valid_set.status();
  SLIPWAY_RETURN_IF_ERROR(DistributedSampler::check(train_set->rows, c.batch_size, comm.world()));
  auto classes = Json::parse(file->attr_string("classes").value_or("[]"), nullptr, false);
  // What a model needs to be used later: its inputs, its classes, and which rows it never saw.
  Json meta = {{"features", Json::parse(file->attr_string("features").value_or("[]"), nullptr, false)},
               {"classes", classes},
               {"label", file->attr_string("label").value_or("")},
               {"split", Json::parse(file->attr_string("split").value_or("{}"), nullptr, false)}};
  int n_classes = classes.is_array() ? static_cast<int>(classes.size()) : 0;
  for (const auto* s : {&*train_set, &*valid_set})
    for (auto label : s->y)
      if (label < 0 || label >= n_classes) return InvalidInput("data " + c.data + " has a label " + std::to_string(label) + " outside its " + std::to_string(n_classes) + " classes");
  if (c.kernels == "reference") {
    Mlp<float, RefOps> model(train_set->features, c.hidden, n_classes);
    TableTask<decltype(model)> task{model, *train_set, *valid_set, {}, {}};
    return run_loop(model, task, c, opts, comm, meta.dump());
  }
  Mlp<float, FastOps> model(train_set->features, c.hidden, n_classes);
  TableTask<decltype(model)> task{model, *train_set, *valid_set, {}, {}};
  return run_loop(model, task, c, opts, comm, meta.dump());
}

}  // namespace slipway
