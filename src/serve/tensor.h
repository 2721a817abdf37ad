// Tensors as the Open Inference Protocol (v2) REST API carries them
// (kserve/open-inference-protocol, "Tensor Data" and "$request_input"/"$response_output"): a name,
// a datatype, a shape and the data in row-major order, flattened or nested. Numbers are held as
// doubles (every OIP numeric type up to INT64 magnitude 2^53 round-trips), BYTES as strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::serve {

struct Tensor {
  std::string name;
  std::string
      datatype;  // BOOL UINT8 UINT16 UINT32 UINT64 INT8 INT16 INT32 INT64 FP16 FP32 FP64 BYTES
  std::vector<std::int64_t> shape;
  std::vector<double> numbers;       // every datatype but BYTES
  std::vector<std::string> strings;  // BYTES
  Json parameters = Json::object();

  std::int64_t elements() const;
  bool is_bytes() const { return datatype == "BYTES"; }
};

bool known_datatype(const std::string& datatype);

// One `inputs` entry of an inference request. `where` names it in errors ("input 'x'").
// Checks the datatype, that the shape is non-negative, and that the data (flat or nested)
// holds exactly as many elements as the shape says, each of the datatype's kind and range.
Result<Tensor> tensor_from_json(const Json& j);

// One `outputs` entry of a response.
Json tensor_to_json(const Tensor& t);

// Rows [begin, end) along the first dimension; the tensor must have one.
Tensor slice_rows(const Tensor& t, std::int64_t begin, std::int64_t end);

// Tensors of the same name, datatype and trailing shape joined along the first dimension.
Result<Tensor> concat_rows(const std::vector<const Tensor*>& parts);

}  // namespace slipway::serve
