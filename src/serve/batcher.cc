#include "serve/batcher.h"

namespace slipway::serve {

namespace {

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

Batcher::Batcher(std::shared_ptr<Model> model, BatchPolicy policy,
                 std::function<void(int, int)> on_batch)
    : model_(std::move(model)), policy_(policy), on_batch_(std::move(on_batch)) {
  // A model that cannot take several requests' rows at once (the GPT's prompts would need padding
  // and one parameter set) still queues, one request per call.
  if (!model_->info().batchable) policy_.max_batch_size = 1;
  concurrency_ = std::max(1, model_->info().concurrency);
  for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { loop(); });
}

Batcher::~Batcher() { stop(); }

// Requests join one batch only when their inputs line up: the same names, datatypes and shapes
// past the first dimension (a model taking any inputs may get FP32 from one client and FP64 from
// another, which cannot be one tensor).
std::string Batcher::signature(const std::vector<Tensor>& inputs) {
  std::string s;
  for (const Tensor& t : inputs) {
    s += t.name + ':' + t.datatype;
    for (size_t i = 1; i < t.shape.size(); ++i) s += ',' + std::to_string(t.shape[i]);
    if (!t.parameters.empty()) s += t.parameters.dump();
    s += ';';
  }
  return s;
}

Status Batcher::submit(std::vector<Tensor> inputs, Json parameters, Done done) {
  const int rows =
      inputs.empty() || inputs[0].shape.empty() ? 1 : static_cast<int>(inputs[0].shape[0]);
  ++in_flight_;
  // Counted down once the request is answered, whichever path it took.
  done = [this, done = std::move(done)](InferResult r) {
    --in_flight_;
    done(std::move(r));
  };
  if (policy_.max_queue_delay.count() == 0 && model_->info().batchable &&
      model_->info().run_inline) {
    // The fast path: run here if a model call is free and nobody is waiting. Both must hold, or
    // this request would overtake queued ones.
    bool idle = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) {
        --in_flight_;
        return Unavailable("the model version is being unloaded");
      }
      idle = queue_.empty() && running_ < concurrency_;
      if (idle) ++running_;
    }
    if (idle) {
      std::vector<Pending> one;
      one.push_back({std::move(inputs), std::move(parameters), std::move(done),
                     std::chrono::steady_clock::now(), rows, ""});
      run(std::move(one));
      {
        std::lock_guard<std::mutex> l(mu_);
        --running_;
      }
      cv_.notify_all();
      return Status::Ok();
    }
  }
  // The signature only matters to requests that queue (the inline path runs alone); made
  // outside the lock.
  std::string sig = signature(inputs);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ || queue_.size() >= policy_.max_queue) --in_flight_;  // refused: never answered
    if (stopping_) return Unavailable("the model version is being unloaded");
    // Bounded: past the limit a client gets a 503 it can retry, instead of a latency that grows
    // without end while the daemon's memory does too.
    if (queue_.size() >= policy_.max_queue)
      return Unavailable("the model's queue is full (" + std::to_string(policy_.max_queue) +
                         " requests); retry later");
    queue_.push_back({std::move(inputs), std::move(parameters), std::move(done),
                      std::chrono::steady_clock::now(), rows, std::move(sig)});
  }
  cv_.notify_all();
  return Status::Ok();
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

void Batcher::loop() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return (stopping_ || !queue_.empty()) && running_ < concurrency_; });
    if (queue_.empty()) return;  // stopping, and nothing left to finish
    // Rows of the requests that would join the oldest one: same parameters, within the size.
    auto fitting_rows = [&] {
      int rows = 0;
      for (const auto& p : queue_) {
        if (rows > 0 &&
            (rows + p.rows > policy_.max_batch_size || p.parameters != queue_.front().parameters ||
             p.signature != queue_.front().signature))
          break;
        rows += p.rows;
      }
      return rows;
    };
    // Wait for company until the oldest request's delay is spent or the batch is full; a submit
    // wakes this wait, and a spurious wake just re-checks.
    const auto deadline = queue_.front().queued + policy_.max_queue_delay;
    // (Another worker may take the queue while this one waits: it then starts over.)
    while (policy_.max_batch_size > 1 && !stopping_ && !queue_.empty() &&
           fitting_rows() < policy_.max_batch_size &&
           cv_.wait_until(l, deadline) != std::cv_status::timeout) {
    }
    if (queue_.empty()) continue;
    std::vector<Pending> batch;
    int rows = 0;
    while (!queue_.empty()) {
      Pending& p = queue_.front();
      if (!batch.empty() &&
          (rows + p.rows > policy_.max_batch_size || p.parameters != batch.front().parameters ||
           p.signature != batch.front().signature))
        break;
      rows += p.rows;
      batch.push_back(std::move(p));
      queue_.pop_front();
    }
    // Run outside mu_ so submits keep queueing meanwhile; counted in running_ so neither the
    // fast path in submit() nor another worker runs more calls than the model takes at once.
    ++running_;
    l.unlock();
    run(std::move(batch));
    l.lock();
    --running_;
    cv_.notify_all();
  }
}

void Batcher::run(std::vector<Pending> batch) {
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Tensor>> outputs = std::vector<Tensor>{};
  int rows = 0;
  for (const auto& p : batch) rows += p.rows;
  model_->set_demand(in_flight_.load());
  if (batch.size() == 1) {
    // A batch of one is the request as it came: no copy into a joined tensor.
    outputs = model_->infer(batch[0].inputs, batch[0].parameters);
  } else {
    // Inputs are joined by name, not position: clients may list a model's inputs in any order.
    std::vector<Tensor> joined;
    for (const Tensor& first : batch[0].inputs) {
      std::vector<const Tensor*> parts;
      for (const auto& p : batch)
        for (const Tensor& t : p.inputs)
          if (t.name == first.name) parts.push_back(&t);
      auto j = concat_rows(parts);
      if (!j.ok()) {
        outputs = j.status();
        break;
      }
      joined.push_back(std::move(*j));
    }
    if (outputs.ok()) outputs = model_->infer(joined, batch[0].parameters);
  }
  const double infer_seconds = seconds_between(start, std::chrono::steady_clock::now());
  if (on_batch_) on_batch_(rows, static_cast<int>(batch.size()));
  std::int64_t row = 0;
  for (auto& p : batch) {
    InferResult r;
    r.queue_seconds = seconds_between(p.queued, start);
    r.infer_seconds = infer_seconds;
    r.batch_rows = rows;
    if (!outputs.ok()) {
      // One failed call fails every request of the batch with the same error.
      r.outputs = outputs.status();
    } else if (batch.size() == 1) {
      r.outputs = std::move(*outputs);
    } else {
      std::vector<Tensor> mine;
      for (const Tensor& t : *outputs) mine.push_back(slice_rows(t, row, row + p.rows));
      r.outputs = std::move(mine);
    }
    row += p.rows;
    p.done(std::move(r));
  }
}

}  // namespace slipway::serve
