// The native pipeline format (apiVersion slipway/v1), documented in docs/pipeline-spec.md.
// Parsing checks shape (known keys, value kinds); cross-references, types and cycles are
// checked by validate.h, so both front doors share one validator.
#pragma once

#include <optional>
#include <string>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec {

struct ParseOutcome {
  std::optional<PipelineSpec> spec;  // present unless the file could not be read as YAML at all
  Diagnostics diagnostics;
};

// `file` names the source in messages; `base_dir` anchors relative paths in literals.
ParseOutcome parse_native_pipeline(const std::string& yaml_text, const std::string& file,
                                   const std::string& base_dir);

ParseOutcome parse_native_pipeline_file(const std::string& path);

}  // namespace slipway::spec
