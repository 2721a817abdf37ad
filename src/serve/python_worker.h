// One Python model worker process (src/serve/python/model_worker.py) and the daemon's end of its
// socket. The worker is started with one end of a Unix socket pair as fd 3; frames each way are
// a u32 JSON header length, a u64 data length, the JSON header and the raw tensor bytes
// (tensor_codec.h). A socket pair keeps the hop to two syscalls each way with no naming, no
// permissions and no cleanup, and the worker sees EOF the moment the daemon goes.
//
// Not thread-safe: one call at a time (PythonModel hands a worker to one caller).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "serve/tensor.h"

namespace slipway::serve {

struct WorkerLaunch {
  std::string python;            // the interpreter (a venv's bin/python, or one named in config)
  std::filesystem::path script;  // model_worker.py, written out by the daemon
  std::string format;            // sklearn, lightgbm, onnx, pytorch
  std::filesystem::path model_dir;
  std::filesystem::path predictor_file;  // custom: the kserve.Model file
  std::string name;                      // the served name (a custom predictor is made with it)
  std::vector<std::pair<std::string, std::string>> env;  // added to the daemon's environment
  double cpus = 0;                // resources: CPU cores the worker may use (0: all)
  std::int64_t memory_bytes = 0;  // its address-space limit (0: none)
  std::chrono::milliseconds load_timeout{120'000};
};

class PythonWorker {
 public:
  // Starts the worker and waits for its first frame (`ready`, and the raw bytes after it in
  // `ready_data` when given). A model that fails to load is an error carrying the loader's own
  // message; the process is reaped.
  static Result<std::unique_ptr<PythonWorker>> start(const WorkerLaunch& launch, Json* ready,
                                                     std::string* ready_data = nullptr);
  ~PythonWorker();  // kills and reaps the process
  PythonWorker(const PythonWorker&) = delete;
  PythonWorker& operator=(const PythonWorker&) = delete;

  // Where one call's time went: from sending the request to reading the answer, and the part
  // of it the model's own code ran in the worker. The difference is the hop: framing, the
  // socket both ways and the worker's tensor decoding and encoding.
  struct Timing {
    double round_trip_seconds = 0, model_seconds = 0;
  };

  // Runs one batch. Unavailable when the worker died or did not answer within `timeout` (it is
  // then dead: the caller replaces it); Failed with the model's message when it raised. `timing`,
  // when given, is filled for a call the worker answered.
  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs, const Json& parameters,
                                    std::chrono::milliseconds timeout, Timing* timing = nullptr);
  bool broken() const { return broken_; }
  pid_t pid() const { return pid_; }

 private:
  PythonWorker(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  Status send(const Json& header, const std::string& data);
  Status receive(Json* header, std::string* data, std::chrono::steady_clock::time_point deadline);

  pid_t pid_;
  int fd_;
  bool broken_ = false;
};

}  // namespace slipway::serve
