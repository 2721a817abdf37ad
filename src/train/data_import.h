// `slipway data import`: training data into HDF5, the form the trainer reads.
//
// A table (CSV with a header and a label column) becomes
//   /train/features float32 [N][F], /train/labels int32 [N], and /valid/... likewise,
//   attributes kind="table", features (JSON list), classes (JSON list), label.
// A text file becomes byte-level tokens
//   /train/tokens uint8 [N], /valid/tokens uint8 [M], attributes kind="text", vocab=256.
// Splits are deterministic in the seed.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace slipway::train {

struct ImportSummary {
  std::uint64_t train = 0, valid = 0;  // rows or tokens
  int features = 0, classes = 0;
};

Result<ImportSummary> import_table(const std::string& csv, const std::string& label,
                                   const std::string& out, double valid_fraction,
                                   std::uint64_t seed);
Result<ImportSummary> import_text(const std::string& text_file, const std::string& out,
                                  double valid_fraction);

}  // namespace slipway::train
