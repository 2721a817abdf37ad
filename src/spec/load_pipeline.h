// A pipeline from its text, whichever front door it needs (KFP IR or the native YAML), parsed
// and validated, with every diagnostic kept: what `run`, `validate`, the server and the sweeps read
// a pipeline file with.
#pragma once

#include <optional>
#include <string>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec {

// Reads, parses and validates a pipeline file; diagnostics are printed to stderr.
struct LoadedPipeline {
  std::optional<PipelineSpec> spec;
  Diagnostics diagnostics;
  std::string source;  // the file's text, as read once
};
LoadedPipeline load_pipeline_file(const std::string& path);
LoadedPipeline load_pipeline_text(const std::string& text, const std::string& file);

}  // namespace slipway::spec
