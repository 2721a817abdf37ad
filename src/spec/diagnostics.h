// Diagnostics: what is wrong with a pipeline file and where, collected so a user sees every
// problem at once rather than one per attempt.
#pragma once

#include <string>
#include <vector>

#include "spec/pipeline_spec.h"

namespace slipway::spec {

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  bool warning = false;

  // "file:line:col: error: message"
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(const SourceLoc& loc, std::string message);
  void warning(const SourceLoc& loc, std::string message);
  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  std::string to_string() const;  // one per line, errors and warnings in file order
  Json to_json() const;

 private:
  std::vector<Diagnostic> items_;  // at most 1000, each once
  bool has_overflow_errors_ = false;
};

}  // namespace slipway::spec
