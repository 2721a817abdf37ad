// Tensors as raw little-endian bytes: the Open Inference Protocol's binary tensor data extension
// (kserve/open-inference-protocol, "Binary Tensor Data Extension"; what tritonclient sends by
// default) and the daemon's hop to its Python model workers. Each element takes its datatype's
// size (BOOL one byte, FP16 an IEEE half); BYTES elements are a 4-byte little-endian length
// followed by that many bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serve/tensor.h"

namespace slipway::serve {

// Bytes per element of a fixed-size datatype; 0 for BYTES and unknown names.
size_t element_size(const std::string& datatype);

// The tensor's data as raw bytes, appended to `out`.
void append_raw(const Tensor& t, std::string* out);

// A tensor of `datatype` and `shape` from raw bytes. `where` names it in errors ("input 'x'"): a
// size that does not match the shape, a BYTES element running past the end or a BOOL byte other
// than 0 or 1 is InvalidInput.
Result<Tensor> tensor_from_raw(const std::string& name, const std::string& datatype,
                               std::vector<std::int64_t> shape, std::string_view raw,
                               const std::string& where);

}  // namespace slipway::serve
