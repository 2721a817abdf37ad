// Fuzzes the daemon's reading of a scikit-learn model's export (sklearn_native.h): the export
// comes from a worker running unpickled code, so any header and bytes must yield a model or a
// clear error, never a crash, hang or out-of-bounds read; a model read must predict on inputs of
// its width. Input: the JSON header, a newline, then the raw arrays.
#include <cstddef>
#include <cstdint>
#include <string>

#include "serve/sklearn_native.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string::npos) return 0;
  const slipway::Json header = slipway::Json::parse(input.substr(0, newline), nullptr, false);
  auto model =
      slipway::serve::SklearnNative::parse(header, std::string_view(input).substr(newline + 1));
  if (!model.ok()) return 0;
  const std::int64_t width = header.value("n_features", std::int64_t{1});
  if (width <= 0) __builtin_trap();  // parse() accepted a width no input can have
  if (width > 4096) return 0;        // a wide tree model: valid, too large an input to build here
  slipway::serve::Tensor x;
  x.name = "x";
  x.datatype = "FP32";
  for (std::int64_t rows = 0; rows < 3; ++rows) {
    x.shape = {rows, width};
    x.numbers.assign(static_cast<size_t>(rows * width), 0.25 * static_cast<double>(rows) - 0.3);
    auto out = (*model)->predict(x);
    if (!out || out->shape != std::vector<std::int64_t>{rows})
      __builtin_trap();  // one answer per row
  }
  return 0;
}
