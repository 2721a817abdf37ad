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
  // YAML documents kept after the file's text in the run's source: what the file names from
  // elsewhere (a TrainJob's runtime), so the run reads the same again on resume.
  std::string appended_source;
};

// `file` names the source in messages; `base_dir` anchors relative paths in literals.
ParseOutcome parse_native_pipeline(const std::string& yaml_text, const std::string& file,
                                   const std::string& base_dir);

ParseOutcome parse_native_pipeline_file(const std::string& path);

}  // namespace slipway::spec
