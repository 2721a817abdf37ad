// Tabular data for the built-in ML steps: a CSV with a header row, numeric features and one
// label column (text or integer classes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::ml {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// RFC 4180 without quoted newlines: fields may be quoted with "..." and "" escapes.
Result<Table> read_csv(const std::string& path);
Status write_csv(const std::string& path, const Table& t);

struct Dataset {
  std::vector<std::string> features;
  std::vector<std::string> classes;  // sorted class names
  std::vector<std::vector<double>> x;
  std::vector<int> y;  // index into classes
};

// Splits a table into numeric features and a label; errors name the row and column.
Result<Dataset> to_dataset(const Table& t, const std::string& label);

// A deterministic shuffled split (same seed, same split, on every machine).
void split_indices(size_t n, double test_fraction, std::uint64_t seed, std::vector<size_t>* train,
                   std::vector<size_t>* test);

}  // namespace slipway::ml
