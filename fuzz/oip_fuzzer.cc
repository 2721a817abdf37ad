// Fuzzes the Open Inference Protocol's tensor reading: any request body must yield tensors or a
// clear error, never a crash, hang or leak; tensors read back round-trip, join and slice.
#include <cstddef>
#include <cstdint>
#include <string>

#include "serve/tensor.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using slipway::Json;
  Json body = Json::parse(std::string(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array()) return 0;
  for (const auto& in : body["inputs"]) {
    auto t = slipway::serve::tensor_from_json(in);
    if (!t.ok()) continue;
    auto back = slipway::serve::tensor_from_json(slipway::serve::tensor_to_json(*t));
    if (!back.ok() || back->elements() != t->elements())
      __builtin_trap();  // what we write, we must read
    if (!t->shape.empty()) {
      auto joined = slipway::serve::concat_rows({&*t, &*t});
      if (joined.ok()) (void)slipway::serve::slice_rows(*joined, t->shape[0], 2 * t->shape[0]);
    }
  }
  return 0;
}
