// The Open Inference Protocol's binary tensor data extension on the REST API
// (kserve/open-inference-protocol, "Binary Tensor Data Extension"; tritonclient's default): a
// request or response body is a JSON header of Inference-Header-Content-Length bytes followed by
// the raw data of the tensors whose `parameters.binary_data_size` says how many bytes each takes,
// in the order they are listed. A request asks for binary outputs with the request parameter
// `binary_data_output: true` (all of them) or an output's `parameters.binary_data: true`.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "serve/http_types.h"
#include "serve/tensor.h"

namespace slipway::serve {

struct V2Body {
  Json head;              // the JSON part
  std::string_view tail;  // the binary part (a view into the body)
};

// Splits a body by its Inference-Header-Content-Length ("" when the whole body is JSON).
Result<V2Body> split_v2_body(const std::string& body, const std::string& header_length);

// The tensors of a request's `inputs`: JSON `data`, or `binary_data_size` bytes from the tail.
// Every byte of the tail must belong to an input.
Result<std::vector<Tensor>> v2_inputs(const Json& inputs, std::string_view tail);

// Which outputs a request wants as raw bytes: every one (binary_data_output) or those named with
// parameters.binary_data. Malformed parameters are InvalidInput.
struct BinaryOutputs {
  bool all = false;
  std::set<std::string> names;
  bool wanted(const std::string& name) const { return all || names.count(name); }
};
Result<BinaryOutputs> binary_outputs(const Json& request);

// A v2 response: `head` (model_name, model_version, id) with `outputs`; the binary ones carry
// binary_data_size and follow the JSON, with Inference-Header-Content-Length set.
HttpResponse v2_response(Json head, const std::vector<Tensor>& outputs,
                         const BinaryOutputs& binary);

}  // namespace slipway::serve
