// The daemon's HTTP API, independent of the transport: KServe's v1 protocol, the Open Inference
// Protocol v2 REST API (kserve/open-inference-protocol: health, server and model metadata,
// readiness, inference, and the model repository extension), Prometheus /metrics, and slipway's
// own model status and traffic split. Errors are the protocols' `{"error": "..."}` with a 4xx
// status for what the client sent (400 malformed, 404 unknown model or version) and 503 for what
// is not ready.
//
// Thread-safe. `reply` is called exactly once per request, possibly on an inference worker.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "serve/http_types.h"
#include "serve/metrics.h"
#include "serve/repository.h"

namespace slipway::serve {

class Service : public HttpHandler {
 public:
  Service(Repository& repo, Metrics& metrics, std::string version);
  void handle(const HttpRequest& req, Reply reply) override;
  // While draining (SIGTERM), /v2/health/ready answers 503 so load balancers stop sending.
  void set_draining() override { draining_ = true; }

 private:
  void infer_v2(const std::string& model, std::optional<int> version, const HttpRequest& req,
                Reply reply);
  void predict_v1(const std::string& model, const std::string& body, Reply reply);
  HttpResponse model_metadata(const std::string& model, std::optional<int> version);
  HttpResponse model_status(const std::string& model);
  HttpResponse set_traffic(const std::string& model, const std::string& body);
  HttpResponse render_metrics();
  // Sends one inference to its version's batcher; `respond` turns outputs into the reply body.
  void submit(const std::shared_ptr<LoadedVersion>& lv, const std::string& protocol,
              const std::string& request_id, std::vector<Tensor> inputs, Json parameters,
              std::function<HttpResponse(std::vector<Tensor>)> respond, Reply reply);

  Repository& repo_;
  Metrics& metrics_;
  std::string version_;
  std::atomic<bool> draining_{false};
};

HttpResponse error_response(const Status& s);
HttpResponse json_response(const Json& j, int status = 200);

}  // namespace slipway::serve
