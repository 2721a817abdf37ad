// Dynamic batching of one served version: requests queue; a worker takes the oldest and waits up
// to max_queue_delay for more (a model that takes N calls at once, ModelInfo::concurrency, gets N
// workers), joins them along the first dimension up to max_batch_size rows,
// runs the model once and hands each request its rows of the outputs. Works for v1 and v2 alike
// (both arrive here as tensors). A model that does not batch gets one request per call.
//
// With no queue delay (the default) a request that finds the model idle and nothing queued runs
// at once on the submitting thread, saving two thread hand-offs; under load requests queue while
// the model runs and the worker joins them: batches grow with the load, never waiting for it.
//
// Thread-safe. `done` runs on the worker thread or the submitting one: it must only hand the
// result on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/model.h"

namespace slipway::serve {

struct BatchPolicy {
  int max_batch_size = 32;                       // rows
  std::chrono::microseconds max_queue_delay{0};  // how long the oldest request may wait for company
  size_t max_queue = 4096;  // requests waiting; beyond it a request is refused (503)
};

struct InferResult {
  Result<std::vector<Tensor>> outputs = std::vector<Tensor>{};
  double queue_seconds = 0, infer_seconds = 0;
  int batch_rows = 0;  // rows of the batch this request ran in
};

class Batcher {
 public:
  using Done = std::function<void(InferResult)>;
  // on_batch(rows, requests) is told of every model call (the batch size histogram).
  Batcher(std::shared_ptr<Model> model, BatchPolicy policy, std::function<void(int, int)> on_batch);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a request whose inputs passed check_inputs. Unavailable when the queue is full or the
  // batcher is stopping; `done` is then never called.
  Status submit(std::vector<Tensor> inputs, Json parameters, Done done);
  // Finishes what is queued, then stops the worker.
  void stop();

 private:
  struct Pending {
    std::vector<Tensor> inputs;
    Json parameters;
    Done done;
    std::chrono::steady_clock::time_point queued;
    int rows;
    std::string signature;  // only requests with the same one join a batch
  };
  static std::string signature(const std::vector<Tensor>& inputs);
  void loop();
  void run(std::vector<Pending> batch);

  std::shared_ptr<Model> model_;
  BatchPolicy policy_;
  std::function<void(int, int)> on_batch_;
  int concurrency_ = 1;  // model calls at once (ModelInfo::concurrency)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  int running_ = 0;                // model calls in progress, worker or inline
  std::atomic<int> in_flight_{0};  // requests submitted and not yet answered
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace slipway::serve
