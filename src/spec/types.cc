#include "spec/types.h"

namespace slipway::spec {

const std::vector<std::string>& known_artifact_types() {
  static const std::vector<std::string> kTypes = {"Artifact",
                                                  "Dataset",
                                                  "Model",
                                                  "Metrics",
                                                  "ClassificationMetrics",
                                                  "SlicedClassificationMetrics",
                                                  "HTML",
                                                  "Markdown"};
  return kTypes;
}

std::string TypeRef::to_string() const {
  std::string base = is_artifact ? artifact : param_type_name(param);
  return is_list ? "list of " + base : base;
}

}  // namespace slipway::spec
